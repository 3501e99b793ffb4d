"""What an unexpected error answers (Django's ``handler500``): a problem document on the API, a page.

django-ninja's operations answer their own problems (``core.api``); this covers the API's views served beside
it (the tus upload endpoint, the alert stream) and anything that fails before a view runs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import server_error as page

from .api import problem

API_PREFIX = "/api/"


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem(500, "Internal server error", detail="The error has been logged.")
    return page(request)

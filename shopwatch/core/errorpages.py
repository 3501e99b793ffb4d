"""What an unexpected error answers (Django's ``handler500``): a problem document on the API, a page.

A request Django cannot read (``handler400``) answers the site's own page; a form over the body limit
(``DATA_UPLOAD_MAX_MEMORY_SIZE``) answers 413 and tells the user that what they typed is still on the page
they came from (the report form checks its lengths before sending, so it should not get there).

django-ninja's operations answer their own problems (``core.api``); this covers the API's views served beside
it (the tus upload endpoint, the alert stream) and anything that fails before a view runs.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.defaults import server_error as page

from .api import problem

API_PREFIX = "/api/"


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem(500, "Internal server error", detail="The error has been logged.")
    return page(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    too_large = isinstance(exception, RequestDataTooBig)
    if request.path.startswith(API_PREFIX):
        if too_large:
            return problem(413, "Request too large", detail="The request body is over the size limit.")
        return problem(400, "Bad request", detail="The request could not be read.")
    return render(request, "400.html", {"too_large": too_large}, status=413 if too_large else 400)

"""The record pickers' options, rendered on the server for ``core/picker.js`` (``reporting/pickers.py``)."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shopwatch.core.entitlements import viewer_for
from shopwatch.core.pickers import PickOption

from . import pickers


def _answer(request: HttpRequest, options: list[PickOption]) -> HttpResponse:
    prefix = re.sub(r"[^A-Za-z0-9_-]", "", request.GET.get("prefix", ""))[:60] or "pick"
    response = render(request, "core/includes/pick_options.html", {"options": options, "prefix": prefix})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def pick_people(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    with transaction.atomic():
        options = pickers.person_options(viewer=viewer, q=request.GET.get("q", "")[:100])
    return _answer(request, options)


@login_required
@require_GET
def pick_incidents(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    return _answer(request, pickers.incident_options(viewer=viewer, q=request.GET.get("q", "")[:100]))

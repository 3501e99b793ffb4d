"""Offline reporting: the service worker (served at the site root so it controls every page) and the page
listing the reports this device is keeping until it can send them (also the confirmation shown when they
are sent). The reports themselves never reach these views until they are sent: they are filed through the
report form's own endpoint and its one-time token (see views.incident_new and docs/offline.md)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from shopwatch.core.entitlements import Viewer

# The pages a shop worker needs without a network: the form, the waiting/confirmation page, recent reports.
CACHED_PAGES = ("reporting:incident-new", "reporting:offline-waiting", "reporting:incident-list")
STATIC_FILES = (
    "shopwatch/shopwatch.css",
    "shopwatch/report.js",
    "shopwatch/offline-queue.js",
    "shopwatch/offline.js",
    "alerts/live.js",
    # The known-person picker's script and styles (its options are never cached: typed offline, a name is
    # sent as typed and resolved by the server when the report is sent).
    "core/picker.js",
    "core/picker.css",
)


def offline_pages(viewer: Viewer) -> list[str]:
    """The pages the service worker may keep on this viewer's device: only those they may open (the report
    form and its waiting page for people who may report; recent reports for everyone)."""
    names = CACHED_PAGES if viewer.reportable_store_ids else ("reporting:incident-list",)
    return [reverse(name) for name in names]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "reporting/sw.js",
        {
            "queue_url": static("shopwatch/offline-queue.js"),
            "cached_pages": json.dumps([reverse(name) for name in CACHED_PAGES]),
            "static_files": json.dumps([static(path) for path in STATIC_FILES]),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def offline_waiting(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/offline_waiting.html", {"saved": request.GET.get("saved") == "1"})

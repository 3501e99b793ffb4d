"""Pages for sending files with the tus endpoint: a signed-in person's, and the single-use link's.

Both pages post nothing themselves: the browser sends each file with tus-js-client (vendored under
``static/uploads/tus.min.js``) to ``/api/v1/uploads`` and shows progress; a dropped connection
resumes where it stopped.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer, get_visible, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.reporting.models import Incident
from shopwatch.reporting.selectors import incident_queryset

from . import content
from .services.uploaders import upload_link_create, upload_link_find, upload_link_problem


def _max_size_words() -> str:
    limit = settings.SHOPWATCH_MAX_UPLOAD_BYTES
    return f"{limit / 1024**3:.0f} GB" if limit >= 1024**3 else f"{limit / 1024**2:.0f} MB"


def send_section_context(viewer: Viewer, incident: Incident) -> dict[str, object]:
    """The send form on an incident's page, for those who may add evidence to it."""
    return {
        "incident": incident,
        "can_upload": can(viewer, Action.UPLOAD_EVIDENCE, incident),
        "accepted": content.ACCEPTED_WORDS,
        "max_size": _max_size_words(),
        "max_bytes": settings.SHOPWATCH_MAX_UPLOAD_BYTES,
    }


@require_GET
def link_upload(request: HttpRequest, token: str) -> HttpResponse:
    """The page a store worker opens from an investigator's link: no account needed."""
    link = upload_link_find(token)
    if link is None:
        return render(
            request,
            "uploads/link_unusable.html",
            {"message": "This upload link does not exist. Check it was copied in full."},
            status=404,
        )
    problem = upload_link_problem(link)
    if problem:
        return render(request, "uploads/link_unusable.html", {"message": problem}, status=410)
    response = render(
        request,
        "uploads/send.html",
        {
            "incident": link.incident,
            "token": token,
            "note": link.note,
            "expires_at": link.expires_at,
            "accepted": content.ACCEPTED_WORDS,
            "max_size": _max_size_words(),
            "max_bytes": settings.SHOPWATCH_MAX_UPLOAD_BYTES,
            "via_link": True,
        },
    )
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def incident_upload(request: HttpRequest, incident_id: int) -> HttpResponse:
    """A signed-in person adds photos, video or a CCTV export to an incident they report for."""
    viewer = viewer_for(request.user)
    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    return render(
        request,
        "uploads/send.html",
        {
            "incident": incident,
            "accepted": content.ACCEPTED_WORDS,
            "max_size": _max_size_words(),
            "max_bytes": settings.SHOPWATCH_MAX_UPLOAD_BYTES,
            "can_report": can(viewer, Action.UPLOAD_EVIDENCE, incident),
            "via_link": False,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def link_create(request: HttpRequest, incident_id: int) -> HttpResponse:
    """An investigator makes a single-use, expiring link to send to the store; shown once."""
    viewer = viewer_for(request.user)
    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    errors: dict[str, str] = {}
    values = {"hours": str(settings.SHOPWATCH_UPLOAD_LINK_HOURS), "note": ""}
    if request.method == "POST":
        values = {"hours": request.POST.get("hours", "").strip(), "note": request.POST.get("note", "")}
        hours: int | None = None
        if not values["hours"].isdigit():
            errors["hours"] = "Enter how many hours the link works for, as a whole number."
        else:
            hours = int(values["hours"])
        if not errors:
            try:
                new = upload_link_create(
                    viewer=viewer, incident_id=incident.pk, hours=hours, note=values["note"]
                )
            except ServiceError as exc:
                if exc.status_code == 403:
                    return render(
                        request,
                        "uploads/link_unusable.html",
                        {"message": exc.errors[0].message if exc.errors else exc.title},
                        status=403,
                    )
                errors = {e.field: e.message for e in exc.errors}
            else:
                url = request.build_absolute_uri(f"/u/{new.token}/")
                return render(
                    request, "uploads/link_created.html", {"incident": incident, "url": url, "link": new.link}
                )
    return render(
        request,
        "uploads/link_form.html",
        {"incident": incident, "errors": errors, "values": values},
        status=422 if errors else 200,
    )

"""Serving evidence files: only to those entitled, every view audited, one 404 for missing and forbidden."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer, viewer_for
from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.core.files import thumbnails
from shopwatch.core.forms import add_service_errors

from . import linking, people, selectors, services, serving
from .forms import LinkForm, PersonForm, UnlinkForm
from .models import EvidenceFile

_CACHE = "private, max-age=3600"


def _unavailable(request: HttpRequest, exc: selectors.Gone) -> HttpResponse:
    message = exc.errors[0].message if exc.errors else exc.title
    return render(request, "evidence/unavailable.html", {"message": message}, status=410)


@login_required
@require_GET
def evidence_content(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The original shown in the page (image viewer, video player); players' byte ranges are answered."""
    try:
        evidence = selectors.evidence_get(
            viewer=viewer_for(request.user),
            evidence_id=pk,
            purpose="content",
            record_if=lambda e: not serving.is_continuation(request, e),
        )
    except selectors.Gone as exc:  # a share that ended, or a file deleted under retention: say so
        return _unavailable(request, exc)
    return serving.send(request, evidence, attachment=False, cache_control=_CACHE)


@login_required
@require_GET
def evidence_thumb(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        viewer = viewer_for(request.user)
        evidence = selectors.evidence_get(viewer=viewer, evidence_id=pk, purpose="thumbnail")
    except selectors.Gone:
        return HttpResponse(thumbnails.placeholder_png(), content_type="image/png", status=410)
    name = services.evidence_thumbnail_ensure(evidence=evidence)
    response: HttpResponseBase
    if name is None:
        response = HttpResponse(thumbnails.placeholder_png(), content_type="image/png")
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = _CACHE
    return response


_PLAYABLE_VIDEO = {"video/mp4", "video/quicktime"}
_SHOWABLE_IMAGES = {"image/jpeg", "image/png"}
_PREVIEWED_IMAGES = {"image/heic", "image/heif"}  # most browsers cannot show HEIC: a JPEG preview instead


def _render_detail(
    request: HttpRequest,
    viewer: Viewer,
    evidence: EvidenceFile,
    *,
    link_form: LinkForm | None = None,
    unlink_errors: dict[int, str] | None = None,
    person_form: PersonForm | None = None,
    person_errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    kind = (
        "image"
        if evidence.content_type in _SHOWABLE_IMAGES
        else "preview"
        if evidence.content_type in _PREVIEWED_IMAGES
        else "video"
        if evidence.content_type in _PLAYABLE_VIDEO
        else "download"
    )
    # The link form is offered to whoever may add evidence to some incident; each "take off" button only
    # where the service would allow it (the capability table, per incident).
    may_link = can(viewer, Action.ADD_EVIDENCE)
    candidates = people.person_candidates(viewer=viewer, evidence=evidence)
    return render(
        request,
        "evidence/detail.html",
        {
            "evidence": evidence,
            "kind": kind,
            "custody": list(evidence.custody.order_by("seq")),
            "incidents": [
                {"incident": incident, "link": link, "error": (unlink_errors or {}).get(incident.pk, "")}
                for incident, link in selectors.evidence_incidents(viewer=viewer, evidence=evidence)
            ],
            "link_form": (link_form or LinkForm()) if may_link else None,
            "may_link": may_link,
            "may_pair": people.may_pair(viewer, evidence),
            "persons": [
                {"pairing": p, "error": (person_errors or {}).get(p.person_id, "")}
                for p in selectors.evidence_persons(viewer=viewer, evidence=evidence)
            ],
            "person_form": person_form
            or (PersonForm(people=[(p.pk, p.display_name) for p in candidates]) if candidates else None),
            "photo_types": people.PHOTO_TYPES,
        },
        status=status,
    )


@login_required
@require_GET
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One file: a photo shown, browser-playable video played, anything else offered for download; with its
    facts, the incidents it belongs to and its chain of custody. Opening the page is a view in the chain."""
    viewer = viewer_for(request.user)
    try:
        evidence = selectors.evidence_get(viewer=viewer, evidence_id=pk, purpose="page")
    except selectors.Gone as exc:
        return _unavailable(request, exc)
    return _render_detail(request, viewer, evidence)


def _page_again(
    request: HttpRequest,
    viewer: Viewer,
    pk: int,
    *,
    link_form: LinkForm | None = None,
    unlink_errors: dict[int, str] | None = None,
    person_form: PersonForm | None = None,
    person_errors: dict[int, str] | None = None,
) -> HttpResponseBase:
    """The evidence page again, with what was wrong in a form posted from it (400)."""
    try:
        evidence = selectors.evidence_get(viewer=viewer, evidence_id=pk, purpose="page")
    except selectors.Gone as exc:
        return _unavailable(request, exc)
    return _render_detail(
        request,
        viewer,
        evidence,
        link_form=link_form,
        unlink_errors=unlink_errors,
        person_form=person_form,
        person_errors=person_errors,
        status=400,
    )


@login_required
@require_POST
def evidence_link(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Link the file to another incident it shows too (by reference, with a reason)."""
    viewer = viewer_for(request.user)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            link = linking.evidence_link(
                viewer=viewer,
                evidence_id=pk,
                incident=form.cleaned_data["incident"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationFailed, NotEntitled) as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"The file is now on {link.incident.reference} too.")
            return redirect("evidence:detail", pk=pk)
    return _page_again(request, viewer, pk, link_form=form)


@login_required
@require_POST
def evidence_unlink(request: HttpRequest, pk: int, incident_id: int) -> HttpResponseBase:
    """Take the file off an incident it was linked to, with a reason."""
    viewer = viewer_for(request.user)
    form = UnlinkForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            linking.evidence_unlink(
                viewer=viewer, evidence_id=pk, incident_id=incident_id, reason=form.cleaned_data["reason"]
            )
        except (ValidationFailed, NotEntitled) as exc:
            error = " ".join(e.message for e in exc.errors)
        else:
            messages.success(request, "The file was taken off that incident.")
            return redirect("evidence:detail", pk=pk)
    else:
        error = "Say why the file does not belong to that incident."
    return _page_again(request, viewer, pk, unlink_errors={incident_id: error})


@login_required
@require_POST
def evidence_person_add(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Record that the file shows one of the persons recorded on its incidents."""
    viewer = viewer_for(request.user)
    evidence = selectors.evidence_queryset(viewer).filter(pk=pk, deleted_at__isnull=True).first()
    candidates = people.person_candidates(viewer=viewer, evidence=evidence) if evidence else []
    form = PersonForm(request.POST, people=[(p.pk, p.display_name) for p in candidates])
    if form.is_valid():
        try:
            pairing = people.evidence_person_add(
                viewer=viewer,
                evidence_id=pk,
                person_id=form.cleaned_data["person"],
                note=form.cleaned_data["note"],
            )
        except (ValidationFailed, NotEntitled) as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Recorded: this file shows {pairing.person.display_name}.")
            return redirect("evidence:detail", pk=pk)
    return _page_again(request, viewer, pk, person_form=form)


@login_required
@require_POST
def evidence_person_remove(request: HttpRequest, pk: int, person_id: int) -> HttpResponseBase:
    viewer = viewer_for(request.user)
    form = UnlinkForm(request.POST)
    error = "Say why the file does not show this person."
    if form.is_valid():
        try:
            people.evidence_person_remove(
                viewer=viewer, evidence_id=pk, person_id=person_id, reason=form.cleaned_data["reason"]
            )
        except (ValidationFailed, NotEntitled) as exc:
            error = " ".join(e.message for e in exc.errors)
        else:
            messages.success(request, "Removed.")
            return redirect("evidence:detail", pk=pk)
    return _page_again(request, viewer, pk, person_errors={person_id: error})


@login_required
@require_POST
def evidence_person_photo(request: HttpRequest, pk: int, person_id: int) -> HttpResponseBase:
    """Take the still as the person's photo (for galleries)."""
    viewer = viewer_for(request.user)
    try:
        people.evidence_person_photo(viewer=viewer, evidence_id=pk, person_id=person_id)
    except (ValidationFailed, NotEntitled) as exc:
        return _page_again(
            request, viewer, pk, person_errors={person_id: " ".join(e.message for e in exc.errors)}
        )
    messages.success(request, "The still is now one of the person's photos.")
    return redirect("evidence:detail", pk=pk)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The original as a download, exactly as received; a "downloaded" entry in the chain of custody."""
    try:
        evidence = selectors.evidence_get(
            viewer=viewer_for(request.user),
            evidence_id=pk,
            purpose="download",
            record_if=lambda e: not serving.is_continuation(request, e),
        )
    except selectors.Gone as exc:
        return _unavailable(request, exc)
    return serving.send(request, evidence, attachment=True, cache_control="private, no-store")

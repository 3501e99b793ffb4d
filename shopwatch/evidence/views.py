"""Serving evidence files: only to those entitled, every view audited, one 404 for missing and forbidden."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shopwatch.core.entitlements import viewer_for

from . import selectors, services, thumbnails

_CACHE = "private, max-age=3600"


def _unavailable(request: HttpRequest, exc: selectors.Gone) -> HttpResponse:
    message = exc.errors[0].message if exc.errors else exc.title
    return render(request, "evidence/unavailable.html", {"message": message}, status=410)


@login_required
@require_GET
def evidence_content(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        evidence = selectors.evidence_get(viewer=viewer_for(request.user), evidence_id=pk, purpose="content")
    except selectors.Gone as exc:  # a share that ended, or a file deleted under retention: say so
        return _unavailable(request, exc)
    response = FileResponse(
        default_storage.open(evidence.file.name, "rb"),
        content_type=evidence.content_type,
        as_attachment=False,
        filename=evidence.original_filename,
    )
    response["Cache-Control"] = _CACHE
    return response


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


@login_required
@require_GET
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One file: a photo shown, browser-playable video played, anything else offered for download; with its
    facts and its chain of custody. Opening the page is a view in the chain."""
    try:
        evidence = selectors.evidence_get(viewer=viewer_for(request.user), evidence_id=pk, purpose="page")
    except selectors.Gone as exc:
        return _unavailable(request, exc)
    kind = (
        "image"
        if evidence.content_type in _SHOWABLE_IMAGES
        else "video"
        if evidence.content_type in _PLAYABLE_VIDEO
        else "download"
    )
    return render(
        request,
        "evidence/detail.html",
        {
            "evidence": evidence,
            "kind": kind,
            "custody": list(evidence.custody.order_by("seq")),
        },
    )


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The original as a download, exactly as received; a "downloaded" entry in the chain of custody."""
    try:
        evidence = selectors.evidence_get(viewer=viewer_for(request.user), evidence_id=pk, purpose="download")
    except selectors.Gone as exc:
        return _unavailable(request, exc)
    response = FileResponse(
        default_storage.open(evidence.file.name, "rb"),
        content_type=evidence.content_type,
        as_attachment=True,
        filename=evidence.original_filename,
    )
    response["Cache-Control"] = "private, no-store"
    return response

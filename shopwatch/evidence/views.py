"""Serving evidence files: only to those entitled, every view audited, one 404 for missing and forbidden."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET

from shopwatch.core.entitlements import viewer_for

from . import selectors, services, thumbnails

_CACHE = "private, max-age=3600"


@login_required
@require_GET
def evidence_content(request: HttpRequest, pk: int) -> HttpResponseBase:
    evidence = selectors.evidence_get(viewer=viewer_for(request.user), evidence_id=pk, purpose="content")
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
    evidence = selectors.evidence_get(viewer=viewer_for(request.user), evidence_id=pk, purpose="thumbnail")
    name = services.evidence_thumbnail_ensure(evidence=evidence)
    response: HttpResponseBase
    if name is None:
        response = HttpResponse(thumbnails.placeholder_png(), content_type="image/png")
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = _CACHE
    return response

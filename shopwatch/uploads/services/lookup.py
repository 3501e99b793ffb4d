"""Finding an upload again: only its uploader (or its link) may, with the same 404 otherwise."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone

from ..models import Upload, UploadState
from .uploaders import Uploader


def upload_get(*, uploader: Uploader, upload_id: str) -> Upload:
    """An upload its own creator (the same person, or the same link) may continue; else the same 404."""
    try:
        upload = Upload.objects.select_related("incident", "link", "link__created_by").get(pk=upload_id)
    except (Upload.DoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:  # malformed ids too
        raise Http404("Not found.") from exc
    if uploader.link is not None:
        mine = upload.link_id == uploader.link.pk
    else:
        mine = (
            upload.link_id is None
            and upload.created_by_id is not None
            and (upload.created_by_id == uploader.viewer.user_id)
        )
    if not mine:
        raise Http404("Not found.")
    return upload


def expires_at(upload: Upload) -> dt.datetime:
    return upload.touched_at + dt.timedelta(hours=settings.SHOPWATCH_UPLOAD_ABANDON_HOURS)


def upload_gone_reason(upload: Upload) -> str | None:
    if upload.state == UploadState.TERMINATED:
        return "This upload was cancelled."
    if upload.state == UploadState.EXPIRED or (
        upload.state == UploadState.RECEIVING and expires_at(upload) <= timezone.now()
    ):
        return "This upload was abandoned and has expired; start the file again."
    return None

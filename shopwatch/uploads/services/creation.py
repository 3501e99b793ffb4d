"""Creating an upload: the record, its empty partial file (with an object store, its multipart upload)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import get_visible
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.files.sniff import clean_filename
from shopwatch.core.ids import parse_id
from shopwatch.reporting.selectors import incident_queryset

from .. import content
from ..models import Upload
from .common import Gone, TooLarge
from .metadata import _device_time
from .streaming import store_target, stream_start
from .uploaders import Uploader, upload_link_problem


def partial_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def partial_path(upload: Upload) -> Path:
    return partial_dir() / f"{upload.id.hex}.part"


@transaction.atomic
def upload_create(*, uploader: Uploader, length: int | None, metadata: dict[str, str]) -> Upload:
    """Start an upload for an incident; refused at once if the caller may not add evidence to it."""
    viewer = uploader.viewer
    link = uploader.link
    if link is not None:
        problem = upload_link_problem(link)
        if problem:
            raise Gone([FieldError("link", problem)])
        incident = link.incident
        if metadata.get("incident") and metadata["incident"] != str(incident.pk):
            raise ValidationFailed([FieldError("incident", "This link is for a different incident.")])
    else:
        raw_incident = metadata.get("incident", "").strip()
        if not raw_incident:
            raise ValidationFailed([FieldError("incident", "Required in Upload-Metadata (the incident id).")])
        incident_id = parse_id(raw_incident)
        if incident_id is None:
            raise ValidationFailed([FieldError("incident", "Must be an incident id (a whole number).")])
        incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
        require(viewer, Action.UPLOAD_EVIDENCE, incident)
    errors: list[FieldError] = []
    filename = metadata.get("filename", "").strip()
    if not filename:
        errors.append(FieldError("filename", "Required in Upload-Metadata (the file's name)."))
    limit = settings.SHOPWATCH_MAX_UPLOAD_BYTES
    if length is None:
        errors.append(FieldError("Upload-Length", "Required: the size of the whole file in bytes."))
    elif length == 0:
        errors.append(FieldError("Upload-Length", "The file is empty (0 bytes); there is nothing to keep."))
    if errors:
        raise ValidationFailed(errors)
    assert length is not None
    if length > limit:
        raise TooLarge(
            [FieldError("Upload-Length", f"The file is {length:,} bytes; the limit is {limit:,} bytes.")]
        )
    declared = content.normalise_declared(metadata.get("filetype") or metadata.get("type"))
    now = timezone.now()
    upload = Upload.objects.create(
        incident=incident,
        created_by_id=viewer.user_id,
        api_key_id=viewer.api_key_id,
        link=link,
        channel="link" if link is not None else viewer.channel,
        length=length,
        filename=clean_filename(filename),
        declared_type=declared[:100],
        metadata={k: v[:500] for k, v in list(metadata.items())[:20]},
        device_time=_device_time(metadata.get("device_time", "")),
        created_at=now,
        touched_at=now,
    )
    partial_path(upload).touch(exist_ok=False)
    target = store_target()
    if target is not None:  # an object store: the bytes go into a multipart upload as they arrive
        stream_start(upload=upload, target=target)
    _maybe_schedule_cleanup()
    return upload


_CLEANUP_DUE_KEY = "shopwatch:uploads:cleanup-due"


def _maybe_schedule_cleanup() -> None:
    """Enqueue the clean-up task at most once an hour, from ordinary upload traffic."""
    from django.core.cache import cache

    if cache.add(_CLEANUP_DUE_KEY, True, timeout=3600):
        from ..tasks import cleanup_abandoned_uploads

        transaction.on_commit(lambda: cleanup_abandoned_uploads.enqueue())

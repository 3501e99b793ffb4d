"""Termination and clean-up: an upload ended by its uploader, and abandoned uploads removed."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopwatch.core.errors import Conflict, FieldError

from ..models import Upload, UploadState
from .common import Gone, Locked
from .creation import partial_dir, partial_path
from .locking import RUNNING, _locked
from .streaming import stream_abandon
from .uploaders import Uploader


@transaction.atomic
def upload_terminate(*, uploader: Uploader, upload: Upload) -> None:
    """The client cancels an unfinished upload: its bytes are deleted."""
    if upload.state == UploadState.COMPLETE:
        raise Conflict(
            [FieldError("upload", "This file is already evidence; evidence is removed only by retention.")]
        )
    if upload.state != UploadState.RECEIVING:
        return
    path = partial_path(upload)
    with contextlib.suppress(Gone), _locked(path):
        path.unlink()
    RUNNING.drop(upload.id)
    stream_abandon(upload=upload)
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.TERMINATED, finished_at=timezone.now())
    upload.state = UploadState.TERMINATED


@dataclass(frozen=True)
class CleanupReport:
    expired: int
    stray_files: int
    bytes_freed: int


def uploads_cleanup(*, older_than: dt.timedelta | None = None) -> CleanupReport:
    """Delete the partial files of abandoned uploads (no bytes for ``older_than``), and stray files;
    an abandoned upload streaming into the object store has its multipart upload aborted there."""
    age = (
        older_than if older_than is not None else dt.timedelta(hours=settings.SHOPWATCH_UPLOAD_ABANDON_HOURS)
    )
    cutoff = timezone.now() - age
    expired = 0
    freed = 0
    for upload in Upload.objects.filter(state=UploadState.RECEIVING, touched_at__lt=cutoff).iterator():
        path = partial_path(upload)
        try:
            with _locked(path, wait=0):
                freed += path.stat().st_size
                path.unlink()
        except Locked:
            continue  # bytes are arriving right now: not abandoned
        except Gone:
            pass
        RUNNING.drop(upload.id)
        stream_abandon(upload=upload)
        Upload.objects.filter(pk=upload.pk, state=UploadState.RECEIVING).update(
            state=UploadState.EXPIRED, finished_at=timezone.now()
        )
        expired += 1
    stray = 0
    known = {u.hex for u in Upload.objects.filter(state=UploadState.RECEIVING).values_list("id", flat=True)}
    for path in partial_dir().glob("*.part"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if path.stem not in known and stat.st_mtime < cutoff.timestamp():
            freed += stat.st_size
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            stray += 1
    return CleanupReport(expired=expired, stray_files=stray, bytes_freed=freed)

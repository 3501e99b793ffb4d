"""Writing evidence: original bytes stored once, hashed while they stream to storage, audited.

Photos from the report form come through ``evidence_add``; files that arrived by resumable upload
(hashed while they streamed in, see shopwatch.uploads) through ``evidence_add_received``. Both record
the receipt as the first entry of the file's chain of custody.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, NotEntitled, ValidationFailed
from shopwatch.core.files import thumbnails
from shopwatch.core.files.hashing import HashingReader, file_size
from shopwatch.core.files.sniff import clean_filename, photo_check, read_image_facts
from shopwatch.core.files.storage import remember_stored
from shopwatch.core.models import AuditAction
from shopwatch.reporting.filed import IncidentsFiled
from shopwatch.reporting.models import Incident

from .custody import custody_append
from .linking import link_same_file
from .models import CustodyAction, EvidenceFile

_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic", "image/heif": ".heif"}
_ALL_EXTENSIONS = {
    **_EXTENSIONS,
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-msvideo": ".avi",
    "video/x-matroska": ".mkv",
    "application/zip": ".zip",
}


def incidents_filed(event: IncidentsFiled) -> None:
    """The incident-filed handler (registered in EvidenceConfig.ready()): photos sent with a report become
    its evidence in the report's transaction, each checked, stored once and receipted in its custody log."""
    by_id = {incident.pk: incident for incident in event.incidents}
    for incident_id, photos in event.photos.items():
        for photo in photos:
            evidence_add(
                viewer=event.viewer,
                incident=by_id[incident_id],
                fileobj=photo,
                filename=photo.name or "photo",
                declared_type=photo.content_type,
            )


@transaction.atomic
def evidence_add(
    *,
    viewer: Viewer,
    incident: Incident,
    fileobj: Any,
    filename: str,
    declared_type: str | None = None,
) -> EvidenceFile:
    """Attach a photo to an incident: checked, stored once, hashed while streaming, audited.

    The content type is decided from the bytes; ``declared_type`` (what the phone said) is only
    recorded. The same bytes added twice to one incident give back the first record; bytes the
    organisation already holds for another incident are linked to this one, not stored again.
    """
    if not viewer.can_report_for(incident.store_id):
        raise NotEntitled(
            [FieldError("incident", "Only people who report for this store can add photos to it.")]
        )
    name = clean_filename(filename)
    content_type = photo_check(fileobj=fileobj, filename=name)
    facts = read_image_facts(fileobj)
    size = file_size(fileobj)
    limit = settings.SHOPWATCH_MAX_PHOTO_BYTES

    now = timezone.now()
    reader = HashingReader(fileobj, size, limit)
    storage_name = f"originals/{now:%Y/%m}/{uuid.uuid4().hex}{_EXTENSIONS.get(content_type, '')}"
    stored = default_storage.save(storage_name, File(reader, name=storage_name))  # type: ignore[arg-type]
    try:
        sha256, hashed = reader.finish()
        if hashed != size:
            raise ValidationFailed(
                [FieldError("photos", f"“{name}” changed while it was being stored; send it again.")]
            )
        existing = link_same_file(viewer=viewer, incident=incident, sha256=sha256)
        if existing is not None:  # stored once: already on the incident, or linked to it now
            default_storage.delete(stored)
            return existing
    except BaseException:
        default_storage.delete(stored)
        raise
    evidence, created = _record_stored(
        viewer=viewer,
        incident=incident,
        stored=stored,
        filename=name,
        size=size,
        sha256=sha256,
        content_type=content_type,
        declared_type=declared_type or "",
        uploaded_by_id=viewer.user_id,
        facts=(facts.captured_at, facts.width, facts.height),
        created_at=now,
        summary=f"{incident.reference}: photo {name}",
        detail={},
    )
    if created:
        remember_stored(stored)
    return evidence


# What of a received file's audit detail also goes into its custody receipt.
_RECEIPT_KEYS = ("via", "upload", "upload_link", "requested_by", "device_time", "server_time")


def _record_stored(
    *,
    viewer: Viewer,
    incident: Incident,
    stored: str,
    filename: str,
    size: int,
    sha256: str,
    content_type: str,
    declared_type: str,
    uploaded_by_id: int | None,
    facts: tuple[dt.datetime | None, int | None, int | None],
    created_at: dt.datetime | None,
    summary: str,
    detail: dict[str, Any],
) -> tuple[EvidenceFile, bool]:
    """Make the stored original (storage name ``stored``) evidence on the incident: its row, audit entry and
    custody receipt in one transaction. The same bytes finishing at the same moment in another request give
    back that record (False) and this copy is deleted; on any failure the stored copy is deleted too."""
    captured_at, width, height = facts
    try:
        with transaction.atomic():
            evidence = EvidenceFile.objects.create(
                incident=incident,
                owner_org_id=incident.owner_org_id,
                file=stored,
                original_filename=filename,
                size=size,
                sha256=sha256,
                content_type=content_type,
                uploaded_by_id=uploaded_by_id,
                captured_at=captured_at,
                width=width,
                height=height,
                created_at=created_at or timezone.now(),
            )
            audit_record(
                viewer=viewer,
                action=AuditAction.CREATE,
                object_type="evidence",
                object_id=evidence.pk,
                store_id=incident.store_id,
                organisation_id=viewer.primary_org_id or incident.owner_org_id,
                summary=summary,
                detail={
                    "sha256": sha256,
                    "size": size,
                    "content_type": content_type,
                    "declared_type": declared_type,
                    "incident": incident.pk,
                    **detail,
                },
            )
            custody_append(
                evidence=evidence,
                action=CustodyAction.RECEIVED,
                viewer=viewer,
                detail=_receipt(evidence, {k: detail[k] for k in _RECEIPT_KEYS if k in detail}),
            )
    except IntegrityError:
        default_storage.delete(stored)
        return EvidenceFile.objects.get(incident=incident, sha256=sha256), False
    except BaseException:
        default_storage.delete(stored)
        raise
    return evidence, True


def _receipt(evidence: EvidenceFile, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the chain of custody records on receipt: the file's facts as they arrived."""
    return {
        "sha256": evidence.sha256,
        "size": evidence.size,
        "content_type": evidence.content_type,
        "filename": evidence.original_filename,
        "incident": evidence.incident_id,
        "captured_at": evidence.captured_at.isoformat() if evidence.captured_at else None,
        **(extra or {}),
    }


# --- Storing a file received elsewhere (resumable uploads) as evidence -------------------------------


def _place_in_storage(path: Path, content_type: str) -> str:
    """Put the finished file into evidence storage and return its storage name.

    A local disk on the same file system gets the file by a hard link (no copy, no second read);
    anything else (another file system, an S3-compatible store) has it streamed in by the storage.
    """
    name = f"originals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{_ALL_EXTENSIONS.get(content_type, '')}"
    if isinstance(default_storage, FileSystemStorage):
        name = default_storage.get_available_name(name)
        target = Path(default_storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
        else:
            target.chmod(0o444)  # originals are never altered
            return name
    with path.open("rb") as f:
        return default_storage.save(name, File(f, name=name))


def evidence_add_received(
    *,
    viewer: Viewer,
    incident: Incident,
    path: Path,
    filename: str,
    size: int,
    sha256: str,
    content_type: str,
    declared_type: str,
    uploaded_by_id: int | None,
    captured_at: dt.datetime | None,
    width: int | None,
    height: int | None,
    detail: dict[str, Any],
) -> tuple[EvidenceFile, bool]:
    """A fully received, checked and hashed file becomes evidence on an incident, once; audited.

    The same bytes already on the incident (a retried upload) give back that record, and the file
    is not stored again; bytes the organisation holds for another incident are linked to this one.
    Returns (evidence, created). Must run inside the caller's transaction.
    """
    existing = link_same_file(viewer=viewer, incident=incident, sha256=sha256)
    if existing is not None:  # stored once: already on the incident, or linked to it now
        return existing, False
    stored = _place_in_storage(path, content_type)
    return _record_stored(
        viewer=viewer,
        incident=incident,
        stored=stored,
        filename=filename,
        size=size,
        sha256=sha256,
        content_type=content_type,
        declared_type=declared_type,
        uploaded_by_id=uploaded_by_id,
        facts=(captured_at, width, height),
        created_at=None,
        summary=f"{incident.reference}: {content_type} {filename}",
        detail=detail,
    )


def evidence_add_stored(
    *,
    viewer: Viewer,
    incident: Incident,
    stored: str,
    filename: str,
    size: int,
    sha256: str,
    content_type: str,
    declared_type: str,
    uploaded_by_id: int | None,
    captured_at: dt.datetime | None,
    width: int | None,
    height: int | None,
    detail: dict[str, Any],
) -> tuple[EvidenceFile, bool]:
    """``evidence_add_received`` for a file already written to storage as ``stored`` (an object store's
    multipart upload). The same bytes already held for the incident give back that record, and the copy
    just written is deleted, so the file is stored once. Must run inside the caller's transaction."""
    existing = link_same_file(viewer=viewer, incident=incident, sha256=sha256)
    if existing is not None:
        default_storage.delete(stored)
        return existing, False
    return _record_stored(
        viewer=viewer,
        incident=incident,
        stored=stored,
        filename=filename,
        size=size,
        sha256=sha256,
        content_type=content_type,
        declared_type=declared_type,
        uploaded_by_id=uploaded_by_id,
        facts=(captured_at, width, height),
        created_at=None,
        summary=f"{incident.reference}: {content_type} {filename}",
        detail=detail,
    )


def evidence_thumbnail_ensure(*, evidence: EvidenceFile) -> str | None:
    """The storage name of the photo's thumbnail, made and kept on first request (None if not renderable).

    A derived file, stored under thumbs/ apart from the original; not audited (viewing it is).
    """
    if evidence.thumbnail:
        return str(evidence.thumbnail.name)
    with default_storage.open(evidence.file.name, "rb") as original:
        data = thumbnails.make_thumbnail(original)
    if data is None:
        return None
    name = default_storage.save(f"thumbs/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg", ContentFile(data))
    claimed = EvidenceFile.objects.filter(pk=evidence.pk, thumbnail="").update(thumbnail=name)
    if not claimed:  # another request made one first: keep theirs
        default_storage.delete(name)
        evidence.refresh_from_db(fields=["thumbnail"])
        return str(evidence.thumbnail.name) if evidence.thumbnail else None
    evidence.thumbnail.name = name
    return name

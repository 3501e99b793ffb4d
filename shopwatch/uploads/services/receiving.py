"""Receiving bytes: appending a request's body, hashing it, and turning a finished file into evidence."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, NotEntitled
from shopwatch.core.files.multipart import MultipartTarget
from shopwatch.core.files.sniff import read_image_facts
from shopwatch.core.models import User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add_received, evidence_add_stored
from shopwatch.reporting.models import Incident

from .. import content
from ..completed import LinkUploadCompleted, link_upload_completed
from ..models import Upload, UploadLink, UploadState
from .common import BODY_PIECE, Gone, OffsetMismatch, Refused, StoreUnavailable, TooLarge, log
from .creation import partial_path
from .locking import RUNNING, _CacheDropper, _locked
from .lookup import upload_gone_reason
from .streaming import STORE_ERRORS, spool_settle, store_target, stream_abandon, unavailable
from .uploaders import Uploader, link_viewer


@dataclass(frozen=True)
class Received:
    upload: Upload
    offset: int
    evidence: EvidenceFile | None = None


def upload_receive(
    *,
    uploader: Uploader,
    upload: Upload,
    client_offset: int,
    read: Callable[[int], bytes],
    content_length: int | None,
) -> Received:
    """Append the request's bytes at ``client_offset``; finish the upload when the last byte is in.

    ``read(n)`` reads up to n bytes of the request body (b"" at its end or when the client dropped);
    whatever arrived before a drop is kept, so the client resumes from the offset HEAD reports.
    """
    reason = upload_gone_reason(upload)
    if reason:
        raise Gone([FieldError("upload", reason)])
    if upload.state == UploadState.REFUSED:
        raise Refused([FieldError("file", upload.refusal)])
    if upload.state == UploadState.COMPLETE:
        # A retry of the request that finished the upload: nothing more to store.
        if client_offset != upload.length or content_length not in (None, 0):
            raise OffsetMismatch(
                [
                    FieldError(
                        "Upload-Offset", f"The upload is complete at {upload.length}; nothing more is needed."
                    )
                ]
            )
        return Received(upload, upload.length, upload.evidence)
    if uploader.link is None and not uploader.viewer.can_report_for(upload.incident.store_id):
        raise NotEntitled([FieldError("incident", "You no longer report for this incident's store.")])
    if upload.storage_name:
        target = store_target()
        if target is None:
            raise StoreUnavailable(
                [FieldError("upload", "This upload goes to the object store, which is not configured here.")]
            )
        return _receive_into_store(
            uploader=uploader,
            upload=upload,
            client_offset=client_offset,
            read=read,
            content_length=content_length,
            target=target,
        )
    path = partial_path(upload)
    with _locked(path) as f:
        offset = os.fstat(f.fileno()).st_size
        if client_offset != offset:
            raise OffsetMismatch(
                [
                    FieldError(
                        "Upload-Offset",
                        f"The upload is at offset {offset}, not {client_offset}; "
                        "ask with HEAD and resume from there.",
                    )
                ]
            )
        if content_length is not None and offset + content_length > upload.length:
            raise TooLarge(
                [
                    FieldError(
                        "body",
                        f"{offset + content_length:,} bytes would pass the "
                        f"Upload-Length of {upload.length:,}.",
                    )
                ]
            )
        digest = RUNNING.take(upload.id, offset, f)
        f.seek(offset)
        want = upload.length - offset if content_length is None else content_length
        received = 0
        overflow = False
        dropper = _CacheDropper(f, offset)
        try:
            while received < want:
                block = read(min(BODY_PIECE, want - received))
                if not block:
                    break
                f.write(block)
                digest.update(block)
                received += len(block)
                dropper.written(offset + received)
            if content_length is None and received == want and read(1):
                overflow = True
        finally:
            f.flush()
            new_offset = offset + received
            if new_offset == upload.length:
                os.fsync(f.fileno())  # evidence is made only from bytes known to be on disk
            RUNNING.put(upload.id, new_offset, digest)
            Upload.objects.filter(pk=upload.pk).update(offset=new_offset, touched_at=timezone.now())
            upload.offset = new_offset
        if overflow:
            _refuse(upload, f"More bytes were sent than the Upload-Length of {upload.length:,}.")
        if not upload.content_type and (new_offset >= content.HEAD_BYTES or new_offset == upload.length):
            f.seek(0)
            try:
                upload.content_type = content.check_head(f.read(content.HEAD_BYTES), upload.declared_type)
            except content.Refused as exc:
                _refuse(upload, str(exc))
            Upload.objects.filter(pk=upload.pk).update(content_type=upload.content_type)
        if new_offset < upload.length:
            return Received(upload, new_offset)
        evidence = _finish(uploader=uploader, upload=upload, path=path, sha256=digest.hexdigest())
        return Received(upload, new_offset, evidence)


def _check_offset(upload: Upload, offset: int, client_offset: int, content_length: int | None) -> None:
    if client_offset != offset:
        raise OffsetMismatch(
            [
                FieldError(
                    "Upload-Offset",
                    f"The upload is at offset {offset}, not {client_offset}; "
                    "ask with HEAD and resume from there.",
                )
            ]
        )
    if content_length is not None and offset + content_length > upload.length:
        raise TooLarge(
            [
                FieldError(
                    "body",
                    f"{offset + content_length:,} bytes would pass the Upload-Length of {upload.length:,}.",
                )
            ]
        )


def _receive_into_store(
    *,
    uploader: Uploader,
    upload: Upload,
    client_offset: int,
    read: Callable[[int], bytes],
    content_length: int | None,
    target: MultipartTarget,
) -> Received:
    """``upload_receive`` for an upload streaming into the object store (see ``streaming``)."""
    path = partial_path(upload)
    with _locked(path) as f:
        spool = spool_settle(upload=upload, f=f, target=target)
        if upload.state != UploadState.RECEIVING:  # another request finished or ended it meanwhile
            upload.refresh_from_db()
            return upload_receive(
                uploader=uploader,
                upload=upload,
                client_offset=client_offset,
                read=read,
                content_length=content_length,
            )
        offset = spool.offset
        _check_offset(upload, offset, client_offset, content_length)
        head = spool.head(content.HEAD_BYTES) if not upload.content_type else b""
        want = upload.length - offset if content_length is None else content_length
        received = 0
        overflow = False
        try:
            while received < want:
                if spool.room == 0:
                    spool.send_part()
                block = read(min(BODY_PIECE, want - received, spool.room))
                if not block:
                    break
                spool.append(block)
                received += len(block)
                if len(head) < content.HEAD_BYTES and offset < content.HEAD_BYTES:
                    head += block[: content.HEAD_BYTES - len(head)]
            if content_length is None and received == want and read(1):
                overflow = True
        finally:
            spool.record()
        new_offset = spool.offset
        if overflow:
            _refuse(upload, f"More bytes were sent than the Upload-Length of {upload.length:,}.")
        if not upload.content_type and len(head) >= min(content.HEAD_BYTES, upload.length):
            try:
                upload.content_type = content.check_head(head, upload.declared_type)
            except content.Refused as exc:
                _refuse(upload, str(exc))
            Upload.objects.filter(pk=upload.pk).update(content_type=upload.content_type)
        if new_offset < upload.length:
            return Received(upload, new_offset)
        sha256 = spool.complete()
        evidence = _finish_stored(uploader=uploader, upload=upload, target=target, sha256=sha256)
        return Received(upload, new_offset, evidence)


def _finish_stored(
    *, uploader: Uploader, upload: Upload, target: MultipartTarget, sha256: str
) -> EvidenceFile:
    """The object is complete in the store: decide its type by reading it back by ranges, then make it
    evidence (or refuse it and delete the object). Nothing of it is written to local disk."""
    reader = target.reader(upload.storage_name, upload.length)
    try:
        decision = content.decide_file(reader, upload.length, upload.declared_type)
        facts = read_image_facts(reader) if decision.content_type in content.IMAGE_TYPES else None
    except content.Refused as exc:
        _refuse(upload, str(exc))
        raise  # unreachable: _refuse raises
    except STORE_ERRORS as exc:
        raise unavailable(exc) from exc
    link = uploader.link
    viewer = uploader.viewer if link is None else link_viewer(link)
    with transaction.atomic():
        evidence = _finish_in_transaction(
            upload=upload,
            path=None,
            stored=upload.storage_name,
            sha256=sha256,
            decision=decision,
            facts=facts,
            viewer=viewer,
            link=link,
            placed=[],
        )
    with contextlib.suppress(FileNotFoundError):
        partial_path(upload).unlink()
    return evidence


def _refuse(upload: Upload, reason: str) -> None:
    RUNNING.drop(upload.id)
    stream_abandon(upload=upload)
    with contextlib.suppress(FileNotFoundError):
        partial_path(upload).unlink()
    Upload.objects.filter(pk=upload.pk).update(
        state=UploadState.REFUSED, refusal=reason[:500], finished_at=timezone.now()
    )
    upload.state = UploadState.REFUSED
    upload.refusal = reason[:500]
    raise Refused([FieldError("file", reason)])


def _finish(*, uploader: Uploader, upload: Upload, path: Path, sha256: str) -> EvidenceFile:
    """Every byte is in: decide the type, and make the file evidence on the incident, or refuse it."""
    RUNNING.drop(upload.id)
    try:
        decision = content.decide(path, upload.declared_type)
    except content.Refused as exc:
        _refuse(upload, str(exc))
        raise  # unreachable: _refuse raises
    facts = None
    if decision.content_type in content.IMAGE_TYPES:
        with path.open("rb") as f:
            facts = read_image_facts(f)
    link = uploader.link
    viewer = uploader.viewer if link is None else link_viewer(link)
    placed: list[str] = []
    try:
        with transaction.atomic():
            evidence = _finish_in_transaction(
                upload=upload,
                path=path,
                sha256=sha256,
                decision=decision,
                facts=facts,
                viewer=viewer,
                link=link,
                placed=placed,
            )
    except BaseException:
        for name in placed:  # storage is not transactional: remove what the rolled-back rows named
            default_storage.delete(name)
        raise
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return evidence


def _finish_in_transaction(
    *,
    upload: Upload,
    path: Path | None,
    stored: str = "",
    sha256: str,
    decision: content.Decision,
    facts: Any,
    viewer: Viewer,
    link: UploadLink | None,
    placed: list[str],
) -> EvidenceFile:
    incident = Incident.objects.select_related("store").get(pk=upload.incident_id)
    common: dict[str, Any] = {
        "viewer": viewer,
        "incident": incident,
        "filename": upload.filename,
        "size": upload.length,
        "sha256": sha256,
        "content_type": decision.content_type,
        "declared_type": upload.declared_type,
        "uploaded_by_id": upload.created_by_id,
        "captured_at": facts.captured_at if facts else None,
        "width": facts.width if facts else None,
        "height": facts.height if facts else None,
        "detail": {
            "upload": str(upload.id),
            "via": "upload link" if link is not None else "tus",
            "upload_link": link.pk if link is not None else None,
            "requested_by": link.created_by_id if link is not None else None,
            "device_time": upload.device_time.isoformat() if upload.device_time else None,
            "server_time": timezone.now().isoformat(),
            **({"streamed_to_store": True} if path is None else {}),
        },
    }
    if path is not None:
        evidence, created = evidence_add_received(path=path, **common)
    else:
        evidence, created = evidence_add_stored(stored=stored, **common)
    if created and path is not None:
        placed.append(str(evidence.file.name))
    now = timezone.now()
    Upload.objects.filter(pk=upload.pk).update(
        state=UploadState.COMPLETE,
        sha256=sha256,
        content_type=decision.content_type,
        evidence=evidence,
        finished_at=now,
        offset=upload.length,
    )
    upload.state = UploadState.COMPLETE
    upload.evidence = evidence
    upload.sha256 = sha256
    if link is not None:
        first_use = UploadLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
        if first_use:
            link.used_at = now
        _tell_investigator(link=link, upload=upload, evidence=evidence, created=created)
        link_upload_completed.run(
            LinkUploadCompleted(link=link, upload=upload, evidence=evidence, created=created)
        )
    return evidence


def _tell_investigator(*, link: UploadLink, upload: Upload, evidence: EvidenceFile, created: bool) -> None:
    investigator: User = link.created_by
    incident = link.incident
    subject = f"ShopWatch: footage received for {incident.reference}"
    body = (
        f"A file you asked for with an upload link has arrived on incident {incident.reference}.\n\n"
        f"File: {evidence.original_filename}\nSize: {evidence.size:,} bytes\nType: {evidence.content_type}\n"
        f"SHA-256: {evidence.sha256}\n"
        + ("" if created else "The same file was already on the incident, so it is stored once.\n")
        + f"\nIt is on the incident's evidence in ShopWatch (evidence {evidence.pk}).\n"
    )
    email = investigator.email

    def send() -> None:
        try:
            send_mail(subject, body, None, [email])
        except Exception:  # the evidence is safe; a mail server problem must not undo it
            log.exception("Could not email %s about upload %s", email, upload.pk)

    transaction.on_commit(send)

"""Resumable uploads: creating them, receiving bytes, turning a finished file into evidence, cleaning up.

Where the bytes go: one partial file per upload under ``DATA_DIR/uploads``, appended to in 4 MiB
pieces straight from the request stream, so no upload is ever held in memory. The partial file's
size on disk is the upload's offset (what the database says is a copy for lists and clean-up), and
an exclusive ``flock`` on it lets one request at a time append, across threads and worker processes.
Intermediate requests are not fsynced (that would make every PATCH wait for the disk): after a crash
the file holds a prefix of what was sent (ext4's ordered mode writes data before the size), HEAD
reports that size, and the client resumes from it. The complete file is fsynced before it becomes
evidence.

How the SHA-256 is computed while streaming, across resumed requests: a ``hashlib`` object cannot be
saved, so each process keeps the running hash of each upload in memory, keyed by the upload's id
together with the offset it has hashed up to. A request that finds its process holds the hash up to
the current offset goes on from there. One whose process holds an older state (another worker took the
requests since) hashes only the bytes appended since, from disk, in 1 MiB pieces; one whose process
never saw the upload (or the server restarted) hashes the prefix from the start. So each process hashes
each byte at most once, however a client's requests alternate between worker processes, and the
finished file is never re-read to hash it.

When the last byte arrives the type is decided from the content (see ``content.py``); an accepted
file is moved, not copied, into evidence storage when that is a local disk on the same file system,
and streamed into it otherwise (S3-compatible stores).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, get_visible
from shopwatch.core.errors import Conflict, FieldError, NotEntitled, ServiceError, ValidationFailed
from shopwatch.core.files.sniff import clean_filename, read_image_facts
from shopwatch.core.ids import parse_id
from shopwatch.core.models import AuditAction, Channel, User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add_received
from shopwatch.reporting.models import Incident
from shopwatch.reporting.selectors import incident_queryset

from . import content
from .models import Upload, UploadLink, UploadState

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024  # re-hashing a prefix from disk
BODY_PIECE = 4 * 1024 * 1024  # bytes read from the request, written and hashed at a time
LINK_PREFIX = "swu_"
LOCK_WAIT_SECONDS = 5.0
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-msvideo": ".avi",
    "video/x-matroska": ".mkv",
    "application/zip": ".zip",
}


class Gone(ServiceError):
    status_code = 410
    title = "Gone"


class TooLarge(ServiceError):
    status_code = 413
    title = "Too large"


class Locked(ServiceError):
    status_code = 423
    title = "Locked"


class OffsetMismatch(ServiceError):
    status_code = 409
    title = "Upload-Offset does not match"


class Refused(ServiceError):
    """The finished (or starting) file is not accepted; nothing became evidence."""

    status_code = 422
    title = "The file was refused"


# --- Who is uploading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Uploader:
    """The caller: a person (session or API key), or the holder of a single-use upload link."""

    viewer: Viewer
    link: UploadLink | None = None


def link_viewer(link: UploadLink) -> Viewer:
    """Who acts when a link is used: nobody signed in; the audit trail names the link and its creator."""
    return Viewer(user_id=None, channel=Channel.WEB, primary_org_id=link.incident.owner_org_id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def upload_link_find(token: str) -> UploadLink | None:
    if not token.startswith(LINK_PREFIX) or len(token) > 200:
        return None
    link = (
        UploadLink.objects.select_related("incident", "created_by")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, _token_hash(token)):
        return None
    return link


def upload_link_problem(link: UploadLink) -> str | None:
    """Why a link can no longer be used to start sending files, or None if it can."""
    if link.used_at is not None:
        return (
            f"This upload link was used on {timezone.localtime(link.used_at):%d %B %Y at %H:%M}. "
            "Each link works once; ask the investigator for a new one if you have more to send."
        )
    if link.expires_at <= timezone.now():
        return (
            f"This upload link expired on {timezone.localtime(link.expires_at):%d %B %Y at %H:%M}. "
            "Ask the investigator for a new one."
        )
    return None


@dataclass(frozen=True)
class NewLink:
    link: UploadLink
    token: str  # shown once, inside the link; only its hash is kept


@transaction.atomic
def upload_link_create(
    *, viewer: Viewer, incident_id: object, hours: int | None = None, note: str = ""
) -> NewLink:
    """A single-use, expiring link for a store to send footage for one incident, made by an investigator."""
    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    if not viewer.is_police or viewer.user_id is None:
        raise NotEntitled([FieldError("incident", "Only police investigators can ask a store for footage.")])
    hours = settings.SHOPWATCH_UPLOAD_LINK_HOURS if hours is None else hours
    errors = []
    if not 1 <= hours <= 24 * 14:
        errors.append(FieldError("hours", "Choose between 1 hour and 14 days (336 hours)."))
    note = (note or "").strip()
    if len(note) > 500:
        errors.append(FieldError("note", "At most 500 characters."))
    if errors:
        raise ValidationFailed(errors)
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    link = UploadLink.objects.create(
        incident=incident,
        created_by_id=viewer.user_id,
        token_hash=_token_hash(token),
        note=note,
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="upload_link",
        object_id=link.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference}: upload link for the store, {hours} hours",
        detail={"incident": incident.pk, "expires_at": link.expires_at.isoformat()},
    )
    return NewLink(link=link, token=token)


# --- Upload-Metadata -------------------------------------------------------------------------------


def parse_metadata(raw: str) -> dict[str, str]:
    """Decode a tus Upload-Metadata header: comma-separated ``key base64value`` pairs."""
    out: dict[str, str] = {}
    if not raw.strip():
        return out
    for pair in raw.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if not key or len(parts) > 2 or key in out:
            raise ValidationFailed([FieldError("Upload-Metadata", f"Malformed pair '{pair.strip()[:40]}'.")])
        try:
            value = base64.b64decode(parts[1], validate=True).decode("utf-8") if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                [FieldError("Upload-Metadata", f"The value of '{key[:40]}' is not base64 of UTF-8 text.")]
            ) from exc
        out[key] = value
    return out


def _device_time(raw: str) -> dt.datetime | None:
    """A client clock reading: ISO 8601, or milliseconds since 1970 (what browsers give)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if raw.isascii() and raw.isdigit():
            return dt.datetime.fromtimestamp(int(raw) / 1000, tz=dt.UTC)
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo is not None else None


# --- Creation ---------------------------------------------------------------------------------------


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
        if not viewer.can_report_for(incident.store_id):
            raise NotEntitled(
                [FieldError("incident", "Only people who report for this store can add evidence to it.")]
            )
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
    _maybe_schedule_cleanup()
    return upload


# --- Finding an upload again -------------------------------------------------------------------------


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


# --- Locking and hashing -----------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[IO[bytes]]:
    """The partial file opened for appending, held exclusively (other requests wait, then get 423)."""
    try:
        f = path.open("r+b")
    except FileNotFoundError as exc:
        raise Gone(
            [FieldError("upload", "The upload's received bytes are gone; start the file again.")]
        ) from exc
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    raise Locked(
                        [FieldError("upload", "Another request is sending bytes to this upload; try again.")]
                    ) from exc
                time.sleep(0.05)
        yield f
    finally:
        f.close()  # closing releases the lock


class _CacheDropper:
    """Stream a large upload through the page cache without filling it.

    Bytes written and hashed are not needed in memory again (a resume on another process reads the few it
    lacks back from disk). Every 32 MiB the kernel is told, with ``posix_fadvise(DONTNEED)`` (as ``dd
    oflag=nocache`` does), that the piece just written may go: Linux starts writing it back at once. One piece
    later the same call on the piece before, by then written back, frees its pages. Writeback so runs
    alongside the upload instead of all at the final fsync, and an upload reuses a few pages instead of
    claiming gigabytes of fresh memory (on a virtual machine, the costliest part of writing)."""

    STEP = 32 * 1024 * 1024

    def __init__(self, f: IO[bytes], start: int) -> None:
        self._f = f
        self._started_to = self._dropped_to = start - start % self.STEP
        self._enabled = hasattr(os, "posix_fadvise")

    def _advise(self, start: int, end: int) -> None:
        if end > start:
            os.posix_fadvise(self._f.fileno(), start, end - start, os.POSIX_FADV_DONTNEED)

    def written(self, end: int) -> None:
        if not self._enabled or end - self._started_to < self.STEP:
            return
        upto = end - end % self.STEP
        self._f.flush()
        self._advise(self._started_to, upto)  # start writing back the piece just written
        self._started_to = upto
        self._advise(self._dropped_to, upto - self.STEP)  # free the piece before it, written back by now
        self._dropped_to = max(self._dropped_to, upto - self.STEP)


class _RunningHashes:
    """Running SHA-256 objects per upload, in this process, with the offset each has hashed up to."""

    def __init__(self, capacity: int = 256) -> None:
        self._items: OrderedDict[uuid.UUID, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity
        self.rehashed_bytes = 0  # how much prefix had to be re-read (a resume on another process)

    def take(self, upload_id: uuid.UUID, offset: int, f: IO[bytes]) -> Any:
        """The running hash of the first ``offset`` bytes: this process's own, caught up from disk over
        what other processes appended since it last saw the upload, or (first time here) hashed from the
        start. Each process hashes each byte at most once, however requests alternate between them."""
        with self._lock:
            item = self._items.pop(upload_id, None)
        if item is not None and item[0] <= offset:
            hashed, digest = item
        else:
            hashed, digest = 0, hashlib.sha256()
        if hashed == offset:
            return digest
        f.seek(hashed)
        remaining = offset - hashed
        while remaining:
            block = f.read(min(CHUNK, remaining))
            if not block:
                break
            digest.update(block)
            remaining -= len(block)
        self.rehashed_bytes += offset - hashed - remaining
        return digest

    def put(self, upload_id: uuid.UUID, offset: int, digest: Any) -> None:
        with self._lock:
            self._items[upload_id] = (offset, digest)
            self._items.move_to_end(upload_id)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def drop(self, upload_id: uuid.UUID) -> None:
        with self._lock:
            self._items.pop(upload_id, None)


RUNNING = _RunningHashes()


def upload_offset(upload: Upload) -> int:
    """The settled offset: the partial file's size, once no request is appending to it."""
    if upload.state != UploadState.RECEIVING:
        return upload.length if upload.state == UploadState.COMPLETE else upload.offset
    path = partial_path(upload)
    with _locked(path):
        return path.stat().st_size


# --- Receiving bytes -----------------------------------------------------------------------------------


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


def _refuse(upload: Upload, reason: str) -> None:
    RUNNING.drop(upload.id)
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
    path: Path,
    sha256: str,
    decision: content.Decision,
    facts: Any,
    viewer: Viewer,
    link: UploadLink | None,
    placed: list[str],
) -> EvidenceFile:
    incident = Incident.objects.select_related("store").get(pk=upload.incident_id)
    evidence, created = evidence_add_received(
        viewer=viewer,
        incident=incident,
        path=path,
        filename=upload.filename,
        size=upload.length,
        sha256=sha256,
        content_type=decision.content_type,
        declared_type=upload.declared_type,
        uploaded_by_id=upload.created_by_id,
        captured_at=facts.captured_at if facts else None,
        width=facts.width if facts else None,
        height=facts.height if facts else None,
        detail={
            "upload": str(upload.id),
            "via": "upload link" if link is not None else "tus",
            "upload_link": link.pk if link is not None else None,
            "requested_by": link.created_by_id if link is not None else None,
            "device_time": upload.device_time.isoformat() if upload.device_time else None,
            "server_time": timezone.now().isoformat(),
        },
    )
    if created:
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


# --- Termination and clean-up -----------------------------------------------------------------------------


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
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.TERMINATED, finished_at=timezone.now())
    upload.state = UploadState.TERMINATED


@dataclass(frozen=True)
class CleanupReport:
    expired: int
    stray_files: int
    bytes_freed: int


def uploads_cleanup(*, older_than: dt.timedelta | None = None) -> CleanupReport:
    """Delete the partial files of abandoned uploads (no bytes for ``older_than``), and stray files."""
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


_CLEANUP_DUE_KEY = "shopwatch:uploads:cleanup-due"


def _maybe_schedule_cleanup() -> None:
    """Enqueue the clean-up task at most once an hour, from ordinary upload traffic."""
    from django.core.cache import cache

    if cache.add(_CLEANUP_DUE_KEY, True, timeout=3600):
        from .tasks import cleanup_abandoned_uploads

        transaction.on_commit(lambda: cleanup_abandoned_uploads.enqueue())

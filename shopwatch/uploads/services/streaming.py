"""Straight to the object store: an upload's bytes go into an S3 multipart upload, one part at a time.

Used when evidence storage is an S3-compatible object store (and OpenSSL's resumable SHA-256 loads, see
``core/files/resumable_sha256.py``; otherwise uploads take the local-disk path and are streamed to the store
when complete). At creation the multipart upload is started under the file's final storage name. Bytes
arriving by PATCH are appended to the upload's spool file (the same ``DATA_DIR/uploads/<id>.part`` whose
``flock`` lets one request at a time in) until it holds one part; the part is sent to the store, its ETag
checked against the MD5 of what was sent and recorded in the database with the SHA-256 state of every byte
so far, and the spool emptied. So a web host never holds more than one part of an upload.

What the database records is the truth: the parts sent, how many bytes of the spool file count
(``spool_bytes``, written after the spool is fsynced, at the end of each request), and the SHA-256 state
of exactly those bytes. A request (or HEAD) first settles the spool to that: bytes past ``spool_bytes`` were
never acknowledged and are cut off; a spool file shorter than recorded (lost with a host) sends the upload
back to the end of its last part, whose SHA-256 state is kept too. The offset HEAD reports is therefore
always bytes that are safely stored, and any process can go on from it, after a kill too, re-reading
nothing. A part sent to the store but not yet recorded (a kill in between) is sent again under the same
part number, which replaces it.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from django.conf import settings
from django.utils import timezone

from shopwatch.core.errors import FieldError
from shopwatch.core.files import resumable_sha256
from shopwatch.core.files.multipart import (
    IntegrityFailure,
    MultipartTarget,
    Part,
    multipart_target,
    part_size_for,
)
from shopwatch.core.files.resumable_sha256 import ResumableSha256

from ..models import Upload
from .common import StoreUnavailable, log

STORE_ERRORS = (BotoCoreError, ClientError, IntegrityFailure)


def store_target() -> MultipartTarget | None:
    """Where uploads stream to part by part, or None (local disk; or no resumable SHA-256 here)."""
    if not resumable_sha256.available():
        return None
    return multipart_target()


def unavailable(exc: Exception) -> StoreUnavailable:
    log.warning("The object store failed during an upload: %s", exc)
    return StoreUnavailable(
        [FieldError("upload", "The evidence store did not take the bytes; ask with HEAD and resume.")]
    )


def stream_start(*, upload: Upload, target: MultipartTarget) -> None:
    """Start the upload's multipart upload under its final storage name, and record it."""
    name = f"originals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    part_size = part_size_for(upload.length, settings.SHOPWATCH_UPLOAD_PART_BYTES)
    try:
        multipart_id = target.create(name)
    except STORE_ERRORS as exc:
        raise unavailable(exc) from exc
    empty = ResumableSha256().state()
    Upload.objects.filter(pk=upload.pk).update(
        storage_name=name,
        multipart_id=multipart_id,
        part_size=part_size,
        hash_state=empty,
        parts_hash_state=empty,
    )
    upload.storage_name, upload.multipart_id, upload.part_size = name, multipart_id, part_size
    upload.hash_state = upload.parts_hash_state = empty


_FIELDS = ("state", "stored_bytes", "spool_bytes", "parts", "hash_state", "parts_hash_state", "multipart_id")


@dataclass
class Spool:
    """An upload's settled position, under its lock: parts in the store, then the spool file's bytes."""

    upload: Upload
    f: IO[bytes]
    target: MultipartTarget
    digest: ResumableSha256

    @property
    def stored(self) -> int:
        return int(self.upload.stored_bytes)

    @property
    def spooled(self) -> int:
        return int(self.upload.spool_bytes)

    @property
    def offset(self) -> int:
        return self.stored + self.spooled

    @property
    def room(self) -> int:
        return int(self.upload.part_size) - self.spooled

    def append(self, block: bytes) -> None:
        """Add bytes to the spool (hashed); the caller sends the part when ``room`` reaches 0."""
        self.f.seek(self.spooled)
        self.f.write(block)
        self.digest.update(block)
        self.upload.spool_bytes = self.spooled + len(block)

    def send_part(self) -> None:
        """Send the spool as the next part, record it with the hash state, and empty the spool."""
        size = self.spooled
        if size == 0:
            return
        self.f.flush()
        parts: list[Any] = list(self.upload.parts)
        number = len(parts) + 1
        try:
            part = self.target.upload_part(
                self.upload.storage_name, self.upload.multipart_id, number, self.f, size
            )
        except STORE_ERRORS as exc:
            self.record()  # the spool's bytes are kept: the part is sent again by the next request
            raise unavailable(exc) from exc
        parts.append([part.number, part.etag, part.md5, size])
        state = self.digest.state()
        self.upload.parts = parts
        self.upload.stored_bytes = self.stored + size
        self.upload.spool_bytes = 0
        self.upload.hash_state = self.upload.parts_hash_state = state
        Upload.objects.filter(pk=self.upload.pk).update(
            parts=parts,
            stored_bytes=self.upload.stored_bytes,
            spool_bytes=0,
            hash_state=state,
            parts_hash_state=state,
            offset=self.upload.stored_bytes,
            touched_at=timezone.now(),
        )
        self.f.truncate(0)

    def record(self) -> None:
        """Make the spool's bytes count: on disk first (fsync), then in the database with the hash state."""
        self.f.flush()
        os.fsync(self.f.fileno())
        state = self.digest.state()
        self.upload.hash_state = state
        self.upload.offset = self.offset
        Upload.objects.filter(pk=self.upload.pk).update(
            spool_bytes=self.spooled, hash_state=state, offset=self.offset, touched_at=timezone.now()
        )

    def complete(self) -> str:
        """Every byte is in: send the last part, finish the multipart upload; returns the SHA-256."""
        self.send_part()
        if self.upload.multipart_id:
            parts = [Part(number=p[0], etag=p[1], md5=p[2]) for p in self.upload.parts]
            try:
                self.target.complete(self.upload.storage_name, self.upload.multipart_id, parts)
            except STORE_ERRORS as exc:
                # A completion whose answer was lost leaves the object there and the multipart upload gone.
                if self._stored_size() != self.upload.length:
                    raise unavailable(exc) from exc
            Upload.objects.filter(pk=self.upload.pk).update(multipart_id="")
            self.upload.multipart_id = ""
        return self.digest.hexdigest()

    def _stored_size(self) -> int | None:
        try:
            return self.target.size_of(self.upload.storage_name)
        except STORE_ERRORS:
            return None

    def head(self, n: int) -> bytes:
        """The file's first ``n`` bytes while they are still in the spool (before the first part is sent)."""
        if self.stored:
            return b""
        self.f.seek(0)
        return self.f.read(min(n, self.spooled))


def spool_settle(*, upload: Upload, f: IO[bytes], target: MultipartTarget) -> Spool:
    """Read the upload's recorded position and bring the spool file to it (under the upload's lock)."""
    upload.refresh_from_db(fields=list(_FIELDS))
    on_disk = os.fstat(f.fileno()).st_size
    if on_disk < upload.spool_bytes:
        # The spool file lost bytes it was known to hold (another host's disk?): back to the last part.
        log.warning(
            "Upload %s: spool holds %s of %s bytes; resuming after the last part",
            upload.pk,
            on_disk,
            upload.spool_bytes,
        )
        upload.spool_bytes = 0
        upload.hash_state = upload.parts_hash_state
        Upload.objects.filter(pk=upload.pk).update(
            spool_bytes=0, hash_state=upload.hash_state, offset=upload.stored_bytes
        )
    if on_disk != upload.spool_bytes:
        f.truncate(upload.spool_bytes)  # bytes never acknowledged
    upload.offset = upload.stored_bytes + upload.spool_bytes
    return Spool(upload=upload, f=f, target=target, digest=ResumableSha256(bytes(upload.hash_state) or None))


def stream_abandon(*, upload: Upload) -> None:
    """Give up the upload's bytes in the store: abort its multipart upload, or delete the finished object."""
    if not upload.storage_name:
        return
    target = multipart_target()
    if target is None:
        return
    try:
        if upload.multipart_id:
            target.abort(upload.storage_name, upload.multipart_id)
        else:
            target.delete(upload.storage_name)
    except STORE_ERRORS:
        log.exception("Could not give up upload %s's bytes in the store", upload.pk)

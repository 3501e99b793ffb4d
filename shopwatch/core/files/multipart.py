"""Writing a file into an S3-compatible object store part by part, and reading it back by byte ranges.

Used when the configured storage is django-storages' S3 backend: a resumable upload becomes an S3 multipart
upload whose parts are sent as they fill, so no web host ever holds the whole file. Every part's MD5 is
checked against the ETag the store answers, and the finished object's ETag against the one the parts imply,
so a byte changed in transit is caught. Nothing here touches the database; callers record what it returns.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.storage import default_storage

MIN_PART = 5 * 1024 * 1024  # S3's smallest part, except the last
MAX_PARTS = 10_000


class IntegrityFailure(RuntimeError):
    """The object store holds other bytes than were sent."""


def _s3_storage() -> Any | None:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is installed with ShopWatch
        return None
    storage: Any = default_storage
    return storage if isinstance(storage, S3Storage) else None


def multipart_target() -> MultipartTarget | None:
    """The object store to write parts to, or None when files are stored on local disk."""
    storage = _s3_storage()
    if storage is None:
        return None
    return MultipartTarget(storage)


def part_size_for(length: int, preferred: int) -> int:
    """The part size for a file: at least S3's minimum, large enough to need at most 10,000 parts."""
    size = max(preferred, MIN_PART)
    needed = -(-length // MAX_PARTS)
    return max(size, needed)


@dataclass(frozen=True)
class Part:
    number: int
    etag: str
    md5: str  # hex MD5 of the part's bytes, as sent


class MultipartTarget:
    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.bucket: str = storage.bucket_name
        self.client: Any = storage.connection.meta.client

    def key(self, name: str) -> str:
        return str(self._storage._normalize_name(name))

    def create(self, name: str) -> str:
        """Start a multipart upload for storage name ``name``; returns its UploadId."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(name)}
        acl = getattr(self._storage, "default_acl", None)
        if acl:
            params["ACL"] = acl
        answer = self.client.create_multipart_upload(**params)
        return str(answer["UploadId"])

    def upload_part(self, name: str, upload_id: str, number: int, f: IO[bytes], size: int) -> Part:
        """Send ``size`` bytes from ``f`` (at its start) as part ``number``; checked by MD5."""
        md5 = hashlib.md5(usedforsecurity=False)
        f.seek(0)
        remaining = size
        while remaining:
            block = f.read(min(1024 * 1024, remaining))
            if not block:
                raise IntegrityFailure(f"part {number}: the spool holds fewer than {size} bytes")
            md5.update(block)
            remaining -= len(block)
        f.seek(0)
        body = _Window(f, size)
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key(name),
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
            ContentLength=size,
            ContentMD5=base64.b64encode(md5.digest()).decode(),
        )
        etag = str(answer["ETag"]).strip('"')
        if etag != md5.hexdigest():
            raise IntegrityFailure(f"part {number}: the store's ETag {etag} is not the MD5 {md5.hexdigest()}")
        return Part(number=number, etag=etag, md5=md5.hexdigest())

    def complete(self, name: str, upload_id: str, parts: list[Part]) -> None:
        answer = self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key(name),
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": f'"{p.etag}"'} for p in parts]},
        )
        expected = hashlib.md5(b"".join(bytes.fromhex(p.md5) for p in parts), usedforsecurity=False)
        etag = str(answer.get("ETag", "")).strip('"')
        if etag and etag != f"{expected.hexdigest()}-{len(parts)}":
            raise IntegrityFailure(f"the finished object's ETag {etag} is not what its parts make")

    def abort(self, name: str, upload_id: str) -> None:
        """Abandon a multipart upload: the store deletes its parts. An unknown one is already gone."""
        with contextlib.suppress(self.client.exceptions.NoSuchUpload):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key(name), UploadId=upload_id)

    def size_of(self, name: str) -> int | None:
        """The stored object's size, or None if there is none."""
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except self.client.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(answer["ContentLength"])

    def delete(self, name: str) -> None:
        self._storage.delete(name)

    def reader(self, name: str, size: int) -> io.BufferedReader:
        """The stored object as a seekable file read by byte ranges (64 KiB at least per request)."""
        return io.BufferedReader(RangeReader(self.client, self.bucket, self.key(name), size), 64 * 1024)


class _Window(io.RawIOBase):
    """The first ``size`` bytes of a file, for boto3 to send (and seek back over on a retry)."""

    def __init__(self, f: IO[bytes], size: int) -> None:
        self._f = f
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        left = self._size - self._pos
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        self._f.seek(self._pos)
        data = self._f.read(n)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        return self._pos

    def tell(self) -> int:
        return self._pos


class RangeReader(io.RawIOBase):
    """A stored object as a seekable read-only file, fetched by HTTP byte ranges as it is read.

    Nothing is downloaded whole: each read fetches what it asks for (at least 64 KiB, kept as a small
    read-ahead), so checking a file's structure or its central directory costs a few small requests.
    """

    AHEAD = 64 * 1024

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self.size = size
        self._pos = 0
        self._buf_start = 0
        self._buf = b""
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self._pos + n)
        if end <= self._pos:
            return b""
        buf_end = self._buf_start + len(self._buf)
        if not (self._buf_start <= self._pos and end <= buf_end):
            fetch_end = min(self.size, max(end, self._pos + self.AHEAD))
            answer = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{fetch_end - 1}"
            )
            self.requests += 1
            self._buf = answer["Body"].read()
            self._buf_start = self._pos
        data = self._buf[self._pos - self._buf_start : end - self._buf_start]
        self._pos += len(data)
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

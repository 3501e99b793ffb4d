"""Hashing a file while storage reads it: the digest of the original, computed once, without holding it."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from shopwatch.core.errors import FieldError, ValidationFailed


class HashingReader:
    """A read-only view of a file that hashes the bytes as storage reads them.

    Storage backends read in chunks (the file system in 64 KiB pieces, S3 in multipart parts) and some
    seek back to measure or retry; only bytes read in order past what was already hashed are added,
    so the digest is of the file exactly once, and nothing is held in memory beyond one chunk.
    """

    def __init__(self, raw: Any, size: int, limit: int) -> None:
        self._raw = raw
        self.size = size
        self._limit = limit
        self._pos = 0
        self._hashed_to = 0
        self._digest = hashlib.sha256()
        raw.seek(0)

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._raw.read(n)
        start, end = self._pos, self._pos + len(data)
        if start <= self._hashed_to < end:
            self._digest.update(data[self._hashed_to - start :])
            self._hashed_to = end
        self._pos = end
        if self._hashed_to > self._limit:
            raise ValidationFailed([FieldError("photos", too_large_message(self._hashed_to, self._limit))])
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._pos = int(self._raw.seek(offset, whence))
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:  # the caller owns the underlying file
        return None

    @property
    def closed(self) -> bool:
        return False

    def finish(self) -> tuple[str, int]:
        """Hash whatever storage did not read (never expected), then return (sha256, bytes hashed)."""
        if self._hashed_to < self.size:
            self.seek(self._hashed_to)
            while self.read(64 * 1024):
                pass
        return self._digest.hexdigest(), self._hashed_to


def too_large_message(size: int, limit: int) -> str:
    return f"is too large ({size / 1_048_576:.1f} MB); the limit is {limit / 1_048_576:.0f} MB."


def file_size(fileobj: Any) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    fileobj.seek(0, os.SEEK_END)
    end = int(fileobj.tell())
    fileobj.seek(0)
    return end

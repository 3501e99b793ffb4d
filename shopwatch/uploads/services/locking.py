"""Locking a partial file for one request at a time, and the running SHA-256 each process keeps."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from shopwatch.core.errors import FieldError

from ..models import Upload, UploadState
from .common import CHUNK, LOCK_WAIT_SECONDS, Gone, Locked
from .creation import partial_path
from .streaming import spool_settle, store_target


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
    with _locked(path) as f:
        if upload.storage_name:  # streaming into the object store: what the database records
            target = store_target()
            if target is None:
                return int(upload.offset)
            return spool_settle(upload=upload, f=f, target=target).offset
        return path.stat().st_size

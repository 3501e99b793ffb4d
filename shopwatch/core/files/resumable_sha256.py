"""A SHA-256 whose running state can be saved and resumed in another process, at native speed.

``hashlib`` objects cannot be pickled or exported, so an upload whose bytes arrive at several web processes
(or after a restart) could only be hashed exactly by reading its prefix again. OpenSSL's low-level
``SHA256_Init``/``SHA256_Update``/``SHA256_Final`` keep the whole state in a plain ``SHA256_CTX`` struct
(eight chaining words, the bit count, the unprocessed block and its fill): 112 bytes that can be stored in
the database next to the bytes they describe, and loaded by any process to go on hashing where the last left
off. The library is the same ``libcrypto`` Python's own ``hashlib`` uses; the functions are deprecated in
OpenSSL 3 in favour of EVP (which has no export) but exported by every 1.1 and 3.x build.
``available()`` says whether this process can load them; callers that need a resumable hash fall back to
another way when it cannot.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from functools import cache
from typing import Any, Self

STATE_BYTES = 112  # sizeof(SHA256_CTX): h[8], Nl, Nh, data[16], num, md_len (all 32-bit)


class _Ctx(ctypes.Structure):
    _fields_ = (
        ("h", ctypes.c_uint32 * 8),
        ("nl", ctypes.c_uint32),
        ("nh", ctypes.c_uint32),
        ("data", ctypes.c_uint32 * 16),
        ("num", ctypes.c_uint),
        ("md_len", ctypes.c_uint),
    )


def _candidates() -> list[str]:
    names = ["libcrypto.so.3", "libcrypto.so.1.1"]
    found = ctypes.util.find_library("crypto")
    if found:
        names.append(found)
    return names


@cache
def _library() -> Any | None:
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
            init, update, final = lib.SHA256_Init, lib.SHA256_Update, lib.SHA256_Final
        except (OSError, AttributeError):
            continue
        init.argtypes = [ctypes.POINTER(_Ctx)]
        init.restype = ctypes.c_int
        update.argtypes = [ctypes.POINTER(_Ctx), ctypes.c_char_p, ctypes.c_size_t]
        update.restype = ctypes.c_int
        final.argtypes = [ctypes.c_char_p, ctypes.POINTER(_Ctx)]
        final.restype = ctypes.c_int
        if ctypes.sizeof(_Ctx) != STATE_BYTES or not _agrees(lib):
            continue
        return lib
    return None


def _agrees(lib: Any) -> bool:
    """The library's SHA-256 gives hashlib's answer, also across a saved and restored state."""
    data = bytes(range(256)) * 41
    ctx = _Ctx()
    lib.SHA256_Init(ctypes.byref(ctx))
    lib.SHA256_Update(ctypes.byref(ctx), data[:1000], 1000)
    restored = _Ctx.from_buffer_copy(bytes(ctx))
    rest = data[1000:]
    lib.SHA256_Update(ctypes.byref(restored), rest, len(rest))
    out = ctypes.create_string_buffer(32)
    lib.SHA256_Final(out, ctypes.byref(restored))
    return out.raw == hashlib.sha256(data).digest()


def available() -> bool:
    return _library() is not None


class ResumableSha256:
    """SHA-256 with ``state()`` to save and ``ResumableSha256(state)`` to go on from it."""

    def __init__(self, state: bytes | None = None) -> None:
        lib = _library()
        if lib is None:
            raise RuntimeError("OpenSSL's SHA256_* functions are not available in this process.")
        self._lib = lib
        if state:
            if len(state) != STATE_BYTES:
                raise ValueError(f"A saved SHA-256 state is {STATE_BYTES} bytes, not {len(state)}.")
            self._ctx = _Ctx.from_buffer_copy(state)
        else:
            self._ctx = _Ctx()
            lib.SHA256_Init(ctypes.byref(self._ctx))

    def update(self, data: bytes) -> None:
        if data:
            self._lib.SHA256_Update(ctypes.byref(self._ctx), data, len(data))

    def state(self) -> bytes:
        return bytes(self._ctx)

    def copy(self) -> Self:
        return type(self)(self.state())

    def hexdigest(self) -> str:
        """The digest of everything so far (the running state is left as it was)."""
        ctx = _Ctx.from_buffer_copy(bytes(self._ctx))
        out = ctypes.create_string_buffer(32)
        self._lib.SHA256_Final(out, ctypes.byref(ctx))
        return out.raw.hex()

"""Thumbnails of person photos: the evidence thumbnail (at most 480 px, upright from EXIF, JPEG) with every
piece of metadata taken out, so a gallery of phone photos never passes on where, when or with what a photo
was taken."""

from __future__ import annotations

from typing import Any

from shopwatch.core.files.thumbnails import make_thumbnail

_SOI, _SOS, _COM = 0xD8, 0xDA, 0xFE
_APP1, _APP15 = 0xE1, 0xEF  # EXIF, XMP, ICC profile, maker data; APP0 (JFIF) is the format's own header


def jpeg_without_metadata(data: bytes) -> bytes | None:
    """The JPEG with its comment and application segments removed, losslessly (the image data is untouched).

    None when the bytes are not a JPEG this can walk, so nothing unchecked is ever served.
    """
    if data[:2] != b"\xff" + bytes([_SOI]):
        return None
    out = bytearray(data[:2])
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == _SOS:  # the entropy-coded image follows: keep the rest as it is
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            return None
        if not (_APP1 <= marker <= _APP15 or marker == _COM):
            out += data[i : i + 2 + length]
        i += 2 + length
    return None


def person_thumbnail(fileobj: Any) -> bytes | None:
    """A small upright JPEG of a person photo without metadata; None if the photo cannot be rendered."""
    data = make_thumbnail(fileobj)
    return jpeg_without_metadata(data) if data is not None else None

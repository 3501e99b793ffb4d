"""Deciding what an uploaded file is from its bytes, and refusing what must not become evidence.

The allow-list: JPEG, PNG, HEIC/HEIF photos; MP4, MOV, AVI and MKV video; ZIP exports from CCTV
systems. Nothing here decodes a whole file: images are checked by Pillow from their headers (which
is where decompression bombs show), video containers by walking their top-level structure, and ZIP
archives by reading the central directory's declared sizes, never by extracting.
"""

from __future__ import annotations

import itertools
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from shopwatch.core.files.sniff import ImageRejected, check_image, sniff_content_type

HEAD_BYTES = 64
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/heic", "image/heif"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/x-msvideo", "video/x-matroska"})
ZIP_TYPE = "application/zip"
ALLOWED_TYPES = IMAGE_TYPES | VIDEO_TYPES | {ZIP_TYPE}
ACCEPTED_WORDS = "JPEG, PNG or HEIC photos; MP4, MOV, AVI or MKV video; or a ZIP export from a CCTV system"

# Brands of ISO base media files (the "ftyp" box) that are ordinary MP4 or QuickTime video.
_QUICKTIME_BRANDS = {b"qt  "}
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VP",
    b"dash",
    b"MSNV",
    b"mmp4",
    b"3gp4",
    b"3gp5",
    b"3gp6",
    b"3g2a",
    b"f4v ",
    b"XAVC",
    b"NDAS",
    b"hvc1",
}
_QUICKTIME_FIRST_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

# What a browser or phone may say a file is, for each type the content can show.
_DECLARED_FAMILIES: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
    "image/png": frozenset({"image/png", "image/x-png", "image/apng"}),
    "image/heic": frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"}),
    "image/heif": frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"}),
    # MP4 and QuickTime are the same container family; phones label them loosely.
    "video/mp4": frozenset({"video/mp4", "video/quicktime", "video/x-m4v", "application/mp4"}),
    "video/quicktime": frozenset({"video/mp4", "video/quicktime", "video/x-m4v", "application/mp4"}),
    "video/x-msvideo": frozenset({"video/x-msvideo", "video/avi", "video/msvideo"}),
    "video/x-matroska": frozenset({"video/x-matroska", "video/matroska", "application/x-matroska"}),
    ZIP_TYPE: frozenset(
        {"application/zip", "application/x-zip-compressed", "application/x-zip", "multipart/x-zip"}
    ),
}
# Declarations that say nothing (a browser that does not know the type).
_UNSPECIFIC = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})


class Refused(ValueError):
    """The file must not become evidence; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class Decision:
    content_type: str


def normalise_declared(declared: str | None) -> str:
    return (declared or "").split(";", 1)[0].strip().lower()


def sniff(head: bytes) -> str | None:
    """The allowed type the first bytes show, or None."""
    found = sniff_content_type(head)
    if found is not None:
        return found
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _QUICKTIME_BRANDS:
            return "video/quicktime"
        if brand in _MP4_BRANDS:
            return "video/mp4"
        return None
    if len(head) >= 8 and head[4:8] in _QUICKTIME_FIRST_ATOMS:
        return "video/quicktime"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"matroska" in head[:HEAD_BYTES]:
        return "video/x-matroska"
    if head[:4] == b"PK\x03\x04":
        return ZIP_TYPE
    return None


def check_declared(content_type: str, declared: str | None) -> None:
    """Refuse content that does not match what the sender said it was."""
    said = normalise_declared(declared)
    if said in _UNSPECIFIC:
        return
    if said not in _DECLARED_FAMILIES.get(content_type, frozenset({content_type})):
        raise Refused(f"The file was sent as {said} but its content is {content_type}; they must match.")


def check_head(head: bytes, declared: str | None) -> str:
    """The first check, as soon as the first bytes arrive: an allowed type that matches the declaration."""
    content_type = sniff(head)
    if content_type is None:
        raise Refused(f"This type of file is not accepted. Send {ACCEPTED_WORDS}.")
    check_declared(content_type, declared)
    return content_type


def decide(path: Path, declared: str | None) -> Decision:
    """The full check once every byte has arrived; raises Refused with the reason."""
    with path.open("rb") as f:
        return decide_file(f, path.stat().st_size, declared)


def decide_file(f: BinaryIO, size: int, declared: str | None) -> Decision:
    """``decide`` for an open, seekable file of ``size`` bytes (a local file, or an object read by ranges)."""
    if size == 0:
        raise Refused("The file is empty (0 bytes).")
    f.seek(0)
    content_type = check_head(f.read(HEAD_BYTES), declared)
    f.seek(0)
    if content_type in ("video/mp4", "video/quicktime", "image/heic", "image/heif"):
        _check_iso_boxes(f, size)
    if content_type in IMAGE_TYPES:
        f.seek(0)
        try:
            check_image(f.read(HEAD_BYTES), f)
        except ImageRejected as exc:
            raise Refused(str(exc)) from exc
    elif content_type == "video/x-msvideo":
        _check_riff(f, size)
    if content_type == ZIP_TYPE:
        f.seek(0)
        check_zip_file(f, size)
    return Decision(content_type)


def _check_iso_boxes(f: BinaryIO, size: int) -> None:
    """Walk the top-level boxes of an MP4/MOV/HEIF file: they must tile the file exactly (not truncated)."""
    pos = 0
    boxes = 0
    while pos < size:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            raise Refused("The file is incomplete: it ends part-way through its structure.")
        box_size = struct.unpack(">I", header[:4])[0]
        if box_size == 1:
            if len(header) < 16:
                raise Refused("The file is incomplete: it ends part-way through its structure.")
            box_size = struct.unpack(">Q", header[8:16])[0]
            if box_size < 16:
                raise Refused("The file is damaged: its structure is not valid.")
        elif box_size == 0:
            box_size = size - pos  # the last box runs to the end of the file
        elif box_size < 8:
            raise Refused("The file is damaged: its structure is not valid.")
        if pos + box_size > size:
            raise Refused(
                "The file is incomplete: it is shorter than its own structure says "
                f"({size:,} bytes received, at least {pos + box_size:,} expected)."
            )
        pos += box_size
        boxes += 1
        if boxes > 1_000_000:
            raise Refused("The file is damaged: its structure is not valid.")


def _check_riff(f: BinaryIO, size: int) -> None:
    f.seek(4)
    declared = struct.unpack("<I", f.read(4))[0]
    if declared + 8 > size:
        raise Refused(
            "The file is incomplete: it is shorter than its own header says "
            f"({size:,} of {declared + 8:,} bytes)."
        )


def _name_length(info: zipfile.ZipInfo) -> int:
    return len(info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="replace"))


def check_zip_file(f: BinaryIO, size: int) -> None:
    """Refuse ZIP archives that are damaged or would unpack to far more than they are (zip bombs).

    Only the central directory is read: the declared uncompressed sizes, the compression ratio of
    each entry and of the whole, and whether entries overlap (a bomb that reuses the same data).
    """
    try:
        with zipfile.ZipFile(f) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Refused("The ZIP file is damaged or incomplete and cannot be opened.") from exc
    files = [i for i in infos if not i.is_dir()]
    if not files:
        raise Refused("The ZIP file is empty: it holds no files.")
    if len(infos) > 100_000:
        raise Refused(f"The ZIP file holds too many entries ({len(infos):,}); at most 100,000.")
    limit = settings.SHOPWATCH_ZIP_MAX_UNCOMPRESSED_BYTES
    ratio = settings.SHOPWATCH_ZIP_MAX_RATIO
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise Refused(
            f"The ZIP file would unpack to {total / 1024**3:.1f} GB, more than the {limit / 1024**3:.0f} GB "
            "allowed (a decompression bomb?)."
        )
    for info in files:
        if info.file_size > 1024 * 1024 and info.file_size > ratio * max(info.compress_size, 1):
            raise Refused(
                f"“{info.filename}” in the ZIP file expands {info.file_size // max(info.compress_size, 1):,} "
                f"times; at most {ratio} times is accepted (a decompression bomb?)."
            )
    if total > 1024 * 1024 and total > ratio * size:
        raise Refused(f"The ZIP file expands more than {ratio} times overall (a decompression bomb?).")
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for before, after in itertools.pairwise(ordered):
        end = before.header_offset + 30 + _name_length(before) + before.compress_size
        if end > after.header_offset:
            raise Refused("The ZIP file's entries overlap one another (a decompression bomb?).")

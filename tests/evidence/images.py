"""Real image bytes for tests, made with Pillow."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg_bytes(
    color: tuple[int, int, int] = (200, 30, 30),
    size: tuple[int, int] = (64, 48),
    taken: str | None = None,
    offset: str | None = None,
) -> bytes:
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
        if offset:
            exif.get_ifd(0x8769)[36881] = offset
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 255)).save(out, "PNG")
    return out.getvalue()


def png_bomb_bytes(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny, valid PNG header claiming 400 million pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def heic_bytes(size: tuple[int, int] = (800, 600), color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    """An iPhone-style HEIC photo (encoded by libheif through pillow-heif)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "HEIF")
    return out.getvalue()

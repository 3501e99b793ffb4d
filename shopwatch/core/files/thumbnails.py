"""Thumbnails: small JPEG copies of photos for lists and record pages (derived files, never originals)."""

from __future__ import annotations

import io
import warnings
from functools import cache
from typing import Any

import pillow_heif
from PIL import Image, ImageDraw, ImageOps

pillow_heif.register_heif_opener()  # thumbnails of iPhone photos (HEIC)

THUMB_SIZE = (480, 480)
THUMB_QUALITY = 80


def make_thumbnail(fileobj: Any) -> bytes | None:
    """A JPEG no larger than THUMB_SIZE, turned upright from EXIF; None if Pillow cannot read the photo."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj) as img:
                img.draft("RGB", THUMB_SIZE)  # JPEG decodes at a reduced scale: fast, little memory
                upright = ImageOps.exif_transpose(img)
                upright.thumbnail(THUMB_SIZE)
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                out = io.BytesIO()
                upright.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
                return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return None


@cache
def placeholder_png() -> bytes:
    """A plain tile shown where a photo cannot be previewed (e.g. HEIC without a decoder)."""
    img = Image.new("RGB", (160, 120), (243, 242, 241))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 159, 119), outline=(11, 12, 12), width=2)
    draw.text((22, 52), "No preview", fill=(11, 12, 12))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()

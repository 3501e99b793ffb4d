"""Deciding a file's type from its content, never from its name."""

from __future__ import annotations

import io
import warnings

from PIL import Image

IMAGE_TYPES = {"image/jpeg", "image/png", "image/heic", "image/heif"}
_HEIF_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif",
                b"heim": "image/heic", b"heis": "image/heic", b"hevc": "image/heic"}


def sniff_content_type(head: bytes) -> str | None:
    """The content type the first bytes of a file show, or None if not recognised."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return _HEIF_BRANDS[brand]
    return None


class ImageRejected(ValueError):
    pass


def check_image(data_head: bytes, fileobj: io.BufferedIOBase | object) -> str:
    """Confirm a photo really is an image we accept and not a decompression bomb; return its type."""
    content_type = sniff_content_type(data_head)
    if content_type not in IMAGE_TYPES:
        raise ImageRejected("This file is not a photo ShopWatch accepts (JPEG, PNG or HEIC).")
    if content_type in ("image/jpeg", "image/png"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                fileobj.seek(0)  # type: ignore[attr-defined]
                with Image.open(fileobj) as img:  # type: ignore[arg-type]
                    img.verify()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise ImageRejected("This image is too large to open safely (decompression bomb).") from exc
            except Exception as exc:
                raise ImageRejected("This photo is damaged or incomplete and cannot be opened.") from exc
            finally:
                fileobj.seek(0)  # type: ignore[attr-defined]
    return content_type

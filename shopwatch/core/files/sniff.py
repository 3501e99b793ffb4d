"""Deciding a file's type from its content, never from its name, and checking a photo before it is stored."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

import pillow_heif
from django.conf import settings
from django.utils import timezone
from PIL import Image

from shopwatch.core.errors import FieldError, ValidationFailed

from .hashing import file_size, too_large_message

# iPhones take HEIC: with libheif's opener Pillow reads their size, EXIF and pixels (for thumbnails).
pillow_heif.register_heif_opener()

HEAD_BYTES = 64  # enough of a file's start to tell its type
IMAGE_TYPES = {"image/jpeg", "image/png", "image/heic", "image/heif"}
_EARLIEST_CAPTURE = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
_HEIF_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"hevc": "image/heic",
}


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


def check_image(data_head: bytes, fileobj: Any) -> str:
    """Confirm a photo really is an image we accept and not a decompression bomb; return its type."""
    content_type = sniff_content_type(data_head)
    if content_type not in IMAGE_TYPES:
        raise ImageRejected("This file is not a photo ShopWatch accepts (JPEG, PNG or HEIC).")
    if content_type in IMAGE_TYPES:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                fileobj.seek(0)
                with Image.open(fileobj) as img:  # opening checks the pixel count (bombs)
                    if content_type in ("image/jpeg", "image/png"):
                        img.verify()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise ImageRejected("This image is too large to open safely (decompression bomb).") from exc
            except Exception as exc:
                raise ImageRejected("This photo is damaged or incomplete and cannot be opened.") from exc
            finally:
                fileobj.seek(0)
    return content_type


_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_DATETIME_DIGITIZED = 36868
_DATETIME = 306
_OFFSET_ORIGINAL = 36881
_OFFSET_DIGITIZED = 36882


def _parse_exif_time(raw: object, offset: object) -> dt.datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        naive = dt.datetime.strptime(raw.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    tz: dt.tzinfo
    if isinstance(offset, str) and len(offset.strip()) >= 6:
        try:
            tz = dt.datetime.strptime(offset.strip()[:6], "%z").tzinfo or dt.UTC
        except ValueError:
            tz = timezone.get_default_timezone()
    else:
        # A camera without an offset writes local time: the time zone the shops are in.
        tz = timezone.get_default_timezone()
    return naive.replace(tzinfo=tz)


@dataclass(frozen=True)
class ImageFacts:
    width: int | None
    height: int | None
    captured_at: dt.datetime | None


def read_image_facts(fileobj: Any) -> ImageFacts:
    """Dimensions and EXIF capture time of an accepted photo (headers only; pixels are not decoded)."""
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fileobj) as img:
                width, height = img.size
                exif = img.getexif()
                sub = exif.get_ifd(_EXIF_IFD)
                raw = sub.get(_DATETIME_ORIGINAL) or sub.get(_DATETIME_DIGITIZED) or exif.get(_DATETIME)
                offset = sub.get(_OFFSET_ORIGINAL) or sub.get(_OFFSET_DIGITIZED)
    except Exception:
        return ImageFacts(None, None, None)
    finally:
        fileobj.seek(0)
    captured = _parse_exif_time(raw, offset)
    if captured is not None and not (_EARLIEST_CAPTURE <= captured <= timezone.now() + dt.timedelta(days=1)):
        captured = None  # a camera clock left at its factory setting, or garbage
    return ImageFacts(width, height, captured)


def clean_filename(filename: str) -> str:
    """A display name for the file: no path, no control characters, at most 255 characters."""
    base = os.path.basename((filename or "").replace("\\", "/"))
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    return base.strip()[:255] or "photo"


def photo_check(*, fileobj: Any, filename: str) -> str:
    """Check one photo before anything is written; returns its content type or raises ValidationFailed.

    The message names the file, so a form with several photos can say which one is wrong.
    """
    name = clean_filename(filename)
    size = file_size(fileobj)
    limit = settings.SHOPWATCH_MAX_PHOTO_BYTES
    if size == 0:
        raise ValidationFailed(
            [FieldError("photos", f"“{name}” is empty (0 bytes). Take or choose the photo again.")]
        )
    if size > limit:
        raise ValidationFailed([FieldError("photos", f"“{name}” {too_large_message(size, limit)}")])
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    fileobj.seek(0)
    try:
        return check_image(head, fileobj)
    except ImageRejected as exc:
        raise ValidationFailed([FieldError("photos", f"“{name}”: {exc}")]) from exc

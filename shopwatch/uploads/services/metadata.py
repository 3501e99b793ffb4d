"""The tus Upload-Metadata header: base64 key-value pairs, checked before anything is stored."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from shopwatch.core.errors import FieldError, ValidationFailed


def parse_metadata(raw: str) -> dict[str, str]:
    """Decode a tus Upload-Metadata header: comma-separated ``key base64value`` pairs."""
    out: dict[str, str] = {}
    if not raw.strip():
        return out
    for pair in raw.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if not key or len(parts) > 2 or key in out:
            raise ValidationFailed([FieldError("Upload-Metadata", f"Malformed pair '{pair.strip()[:40]}'.")])
        try:
            value = base64.b64decode(parts[1], validate=True).decode("utf-8") if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                [FieldError("Upload-Metadata", f"The value of '{key[:40]}' is not base64 of UTF-8 text.")]
            ) from exc
        out[key] = value
    return out


def _device_time(raw: str) -> dt.datetime | None:
    """A client clock reading: ISO 8601, or milliseconds since 1970 (what browsers give)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if raw.isascii() and raw.isdigit():
            return dt.datetime.fromtimestamp(int(raw) / 1000, tz=dt.UTC)
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo is not None else None

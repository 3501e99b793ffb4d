"""Record ids as they arrive from outside (paths, headers, form fields, files): parsed once, in range.

``str.isdigit`` is true for characters such as "²" that ``int`` refuses, and a long run of digits is a number
no database key can hold; both used to end in a server error. :func:`parse_id` answers an id or ``None``.
"""

from __future__ import annotations

# The largest id a record can have (a signed 64-bit key); anything outside 1..MAX_ID names no record.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The record id ``value`` spells (ASCII digits, 1 to MAX_ID), or None when it spells none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    text = str(value).strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None

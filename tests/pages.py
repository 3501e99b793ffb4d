"""Comparing two rendered pages: what differs only by a per-request token is the same page to its reader."""

from __future__ import annotations

import re

_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def without_tokens(content: bytes) -> bytes:
    """The page with its CSRF form tokens blanked (Django masks the token afresh on every render)."""
    return _CSRF_INPUT.sub(rb"\1\2", content)

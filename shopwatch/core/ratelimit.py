"""A per-key request rate limit over one-second windows, kept in the cache.

The default cache is per process; set SHOPWATCH_CACHE_URL (Redis) to share limits across hosts.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def allow(bucket: str, *, per_second: int | None = None) -> tuple[bool, int]:
    """Count one request against ``bucket``; returns (allowed, seconds to wait)."""
    limit = per_second if per_second is not None else settings.SHOPWATCH_API_RATE_LIMIT
    if limit <= 0:
        return True, 0
    window = int(time.time())
    key = f"rl:{bucket}:{window}"
    if cache.add(key, 1, timeout=3):
        return True, 0
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3)
        count = 1
    return count <= limit, 1

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from shopwatch.uploads.services.locking import RUNNING


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Each test stores evidence in its own folder, so what it finds there is what it stored."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    cache.clear()  # rate limits and the clean-up schedule live in the cache
    RUNNING.rehashed_bytes = 0
    return tmp_path / "files"

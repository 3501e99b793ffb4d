from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Each test stores files in its own folder, so what it finds there is what it stored."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"

"""Where the project's shared real data lives: `shared/data` beside the checkout (as CI lays it out), the
development machines' /work/shared, or SHOPWATCH_SHARED_DIR."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    candidates = [
        Path(os.environ["SHOPWATCH_SHARED_DIR"]) if os.environ.get("SHOPWATCH_SHARED_DIR") else None,
        Path(__file__).resolve().parents[2] / "shared",
        Path("/work/shared"),
    ]
    for c in candidates:
        if c is not None and (c / "data").is_dir():
            return c
    raise FileNotFoundError("The shared data folder was not found; set SHOPWATCH_SHARED_DIR.")


DATA = shared_dir() / "data"

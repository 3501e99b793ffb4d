from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

SHOPWATCH = str(Path(sys.executable).with_name("shopwatch"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: starts real processes (seconds to a minute); runs in the normal suite"
    )


def cli_env(data_dir: Path) -> dict[str, str]:
    """The environment of a real `shopwatch` process with its own data directory (not the test settings)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "SHOPWATCH_ENV", "DATABASE_URL")
    }
    env["SHOPWATCH_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "shopwatch.settings"
    env["SHOPWATCH_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    return env

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "scale_out: brings up the scale-out profile (PostgreSQL or SQLite, Redis, an S3 server, two web "
        "processes, an RQ worker); runs in the normal suite, select it with -m scale_out",
    )

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from shopwatch.alerts.broadcaster import broadcaster
from tests.live_server import InFlight
from tests.world import World, build_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _live_server_settles(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a live-server test (its browser pages closed), wait for the server to finish what was asked.

    Torn down after the browser contexts (set up before them) and before the test database is flushed.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("live_server")
    httpd = server.thread.httpd
    in_flight = getattr(httpd, "_shopwatch_in_flight", None)
    if in_flight is None:
        in_flight = InFlight(httpd)
        httpd._shopwatch_in_flight = in_flight
    yield
    in_flight.wait_idle()
    # The closed pages' event streams would otherwise wait for their next heartbeat, polling a database
    # that is about to be flushed.
    broadcaster.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("SHOPWATCH_CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def pytest_unconfigure(config: pytest.Config) -> None:
    """The throwaway data directory tests/settings.py made for this process goes when the run ends."""
    import shutil
    import tempfile
    from pathlib import Path

    from django.conf import settings

    if not settings.configured:
        return
    data_dir = Path(settings.DATA_DIR)
    made_here = data_dir.parent == Path(tempfile.gettempdir()).resolve()
    if made_here and data_dir.name.startswith("shopwatch-test-"):
        shutil.rmtree(data_dir, ignore_errors=True)

"""Letting the live test server finish what a test asked of it before the test database is flushed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

STREAMS = {"/api/v1/alerts/stream"}


class InFlight:
    """Counts the requests the live server is handling, so a test ends only once its last one is answered.

    A browser can still be fetching (a thumbnail, a stylesheet) when a test's last assertion passes; if the
    server thread is writing (a custody entry) while the test database is flushed, PostgreSQL aborts one of
    them and the next test starts on leftover rows. Idle keep-alive connections are not counted, nor open
    event streams (they wait on memory, never on the database, and end at their next heartbeat).
    """

    def __init__(self, httpd: Any) -> None:
        self.count = 0
        self._lock = threading.Lock()
        app = httpd.get_app()

        def done() -> None:
            with self._lock:
                self.count -= 1

        def counted(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO") in STREAMS:
                return app(environ, start_response)
            with self._lock:
                self.count += 1
            try:
                response = app(environ, start_response)
            except BaseException:
                done()
                raise
            return ClosesWith(response, done)

        httpd.set_app(counted)

    def wait_idle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if self.count == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 0.1:
                    return
            else:
                quiet_since = None
            time.sleep(0.02)
        pytest.fail(f"The live server still had {self.count} request(s) open {timeout:.0f} s after the test")


class ClosesWith:
    """A WSGI response that calls `done` once the server has closed it (sent, or abandoned)."""

    def __init__(self, response: Any, done: Any) -> None:
        self._response = response
        self._done = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._response)

    def close(self) -> None:
        try:
            if hasattr(self._response, "close"):
                self._response.close()
        finally:
            self._done()

"""Django's SQLite backend, with a transaction start that takes the write lock as soon as it frees.

SQLite lets one connection write at a time. With ``transaction_mode`` IMMEDIATE every transaction asks for the
write lock at ``BEGIN``; while another connection holds it, SQLite's busy handler sleeps in growing steps
(1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms...) and only then tries again, so a writer can sleep up to
100 ms past the moment the lock was released. Here ``BEGIN IMMEDIATE`` (or EXCLUSIVE) runs with the busy
handler off and is retried after short sleeps (0.5 ms, growing slightly to 2 ms) until it gets the lock or the
connection's busy timeout has passed; then it fails as SQLite's own handler would, with "database is locked".

Every other statement keeps the normal busy timeout: in WAL mode reads never wait for the writer, and writes
inside a transaction already hold the lock. See docs/decisions/0006-sqlite-write-lock.md.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base

FIRST_PAUSE_S = 0.0005
PAUSE_GROWTH = 1.1
LONGEST_PAUSE_S = 0.002
_LOCKING_MODES = frozenset({"IMMEDIATE", "EXCLUSIVE"})


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    return str(exc) == "database is locked"


def begin_when_free(conn: sqlite3.Connection, statement: str, *, busy_timeout_ms: int) -> int:
    """Run ``statement`` (a BEGIN that takes the write lock) on ``conn``, retrying quickly while the database
    is locked, for up to ``busy_timeout_ms``. Returns how many times it was tried; raises SQLite's
    OperationalError ("database is locked") when the lock is still held at the deadline. The connection's busy
    timeout is the same afterwards as before."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    pause = FIRST_PAUSE_S
    attempts = 0
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            attempts += 1
            try:
                conn.execute(statement)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                time.sleep(min(pause, left))
                pause = min(pause * PAUSE_GROWTH, LONGEST_PAUSE_S)
            else:
                return attempts
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite with ``BEGIN IMMEDIATE`` retried promptly instead of on SQLite's busy handler."""

    busy_timeout_ms = 0

    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        conn: sqlite3.Connection = super().get_new_connection(conn_params)
        # The effective busy timeout: the `timeout` option, or a `PRAGMA busy_timeout` in init_command.
        (ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
        self.busy_timeout_ms = int(ms)
        return conn

    def _start_transaction_under_autocommit(self) -> None:
        mode: str | None = getattr(self, "transaction_mode", None)  # set by get_connection_params()
        if mode not in _LOCKING_MODES or self.busy_timeout_ms <= 0:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
            return
        # Errors surface as django.db.OperationalError, as they do from a cursor.
        with self.wrap_database_errors:
            begin_when_free(self.connection, f"BEGIN {mode}", busy_timeout_ms=self.busy_timeout_ms)

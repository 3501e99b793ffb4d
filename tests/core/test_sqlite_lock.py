"""The embedded SQLite backend takes the write lock as soon as another connection releases it, and still gives
up with "database is locked" when the lock is held past the busy timeout (decision 0006)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.utils import ConnectionHandler

from shopwatch.core.db.sqlite.base import DatabaseWrapper

ALIAS = "sqlite_lock_test"


@pytest.fixture
def db_file(tmp_path: Path, django_db_blocker: Any) -> Iterator[Path]:
    path = tmp_path / "lock.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE report (id INTEGER PRIMARY KEY, who TEXT NOT NULL)")
    setup.close()
    with django_db_blocker.unblock():
        yield path


def holder(path: Path) -> sqlite3.Connection:
    """A second connection that holds SQLite's write lock until it commits."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO report (who) VALUES ('holder')")
    return conn


class Writer:
    """Our backend's connection to the file, registered for this thread as ALIAS (as Django's are)."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        handler = ConnectionHandler(
            {
                "default": {"ENGINE": "django.db.backends.dummy"},  # a handler needs one; never opened
                ALIAS: {
                    "ENGINE": "shopwatch.core.db.sqlite",
                    "NAME": str(path),
                    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
                },
            }
        )
        self.wrapper = handler[ALIAS]
        assert isinstance(self.wrapper, DatabaseWrapper)
        connections[ALIAS] = self.wrapper
        self.wrapper.ensure_connection()
        self.begins = 0
        self.tried = threading.Event()
        self.wrapper.connection.set_trace_callback(self._trace)

    def _trace(self, sql: str) -> None:
        if sql.startswith("BEGIN"):
            self.begins += 1
            if self.begins >= 2:
                self.tried.set()  # it found the lock taken and tried again

    def write(self, who: str) -> None:
        with transaction.atomic(using=ALIAS), self.wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO report (who) VALUES (%s)", [who])

    def busy_timeout_ms(self) -> int:
        with self.wrapper.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            return int(cursor.fetchone()[0])

    def close(self) -> None:
        self.wrapper.close()
        del connections[ALIAS]


def rows(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        found = [r[0] for r in conn.execute("SELECT who FROM report ORDER BY id")]
    conn.close()
    return found


def test_a_waiting_writer_gets_the_lock_once_it_is_released(db_file: Path) -> None:
    lock = holder(db_file)
    outcome: dict[str, Any] = {}
    ready = threading.Event()
    writers: list[Writer] = []

    def waiter() -> None:
        w = Writer(db_file, timeout=30)
        writers.append(w)
        ready.set()
        try:
            w.write("waiter")
            outcome["busy_timeout_ms"] = w.busy_timeout_ms()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            w.close()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert ready.wait(30)
    # Release only once the waiter has found the lock taken and retried.
    assert writers[0].tried.wait(30), outcome.get("error")
    lock.execute("COMMIT")
    lock.close()
    thread.join(30)

    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert rows(db_file) == ["holder", "waiter"]
    assert writers[0].begins >= 2
    # Ordinary statements keep the configured busy timeout after the quick retries.
    assert outcome["busy_timeout_ms"] == 30_000


def test_a_lock_held_past_the_timeout_fails_as_database_is_locked(db_file: Path) -> None:
    lock = holder(db_file)
    writer = Writer(db_file, timeout=0.05)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            writer.write("too late")
        assert writer.begins >= 2  # it retried before giving up
        assert writer.busy_timeout_ms() == 50

        # Nothing of the failed transaction is left behind, and the connection writes once the lock is free.
        lock.execute("COMMIT")
        lock.close()
        assert not writer.wrapper.in_atomic_block
        writer.write("next")
    finally:
        writer.close()
    assert rows(db_file) == ["holder", "next"]


def test_the_embedded_database_uses_this_backend() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("runs on PostgreSQL (DATABASE_URL)")
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"

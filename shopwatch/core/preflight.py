"""Checks `shopwatch serve` and `shopwatch demo` make before they start: a writable data directory and, on
SQLite, a database that is not damaged. Each problem is said in one clear sentence, never as a traceback, and
the server does not start (so nothing is accepted that could not be kept)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from django.conf import settings

RESTORE_HINT = (
    "Restore the latest backup (`shopwatch restore DIR --force`, docs/operations.md), or move the damaged "
    "file aside to start on an empty database."
)


def data_dir_problem() -> str | None:
    """Why the data directory (or its stored-files folders, or the database file) cannot be written, if so."""
    data_dir = Path(settings.DATA_DIR)
    for folder in (data_dir, Path(settings.MEDIA_ROOT), data_dir / "uploads"):
        if not folder.exists():
            continue
        try:
            fd, name = tempfile.mkstemp(dir=folder, prefix=".shopwatch-write-check-")
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            return (
                f"{folder} cannot be written ({exc.strerror or exc}). ShopWatch keeps its database, stored "
                "files and generated keys in the data directory: make it writable by the user that runs "
                "ShopWatch, or point SHOPWATCH_DATA_DIR at one that is."
            )
    db = sqlite_database()
    # Asked of the file system (access(2)), never by opening the database file: this runs in the web server
    # too (the health page), where SQLite connections hold POSIX locks on the file, and closing any other
    # descriptor of it drops them all. Another process closing its last connection could then take itself for
    # the last user and delete the WAL under the live connections, losing what they commit afterwards.
    if db is not None and db.exists() and not os.access(db, os.W_OK):
        return (
            f"The database {db} cannot be written (it is read-only for this user or on a read-only file "
            "system); make it writable by the user that runs ShopWatch."
        )
    return None


def sqlite_database() -> Path | None:
    db = settings.DATABASES["default"]
    if "sqlite" not in str(db["ENGINE"]):
        return None
    return Path(str(db["NAME"]))


def database_problem() -> tuple[str | None, float]:
    """Why the SQLite database is damaged (``PRAGMA quick_check``), if it is; and how long the check took."""
    db = sqlite_database()
    began = time.monotonic()
    if db is None or not db.exists() or db.stat().st_size == 0:
        return None, 0.0
    try:
        conn = sqlite3.connect(db, timeout=30)
        try:
            found = [str(row[0]) for row in conn.execute("PRAGMA quick_check(5)").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        found = [str(exc)]
    took = time.monotonic() - began
    if found == ["ok"]:
        return None, took
    return (
        f"The database {db} is damaged (SQLite's quick_check: {'; '.join(found)}). ShopWatch will not start "
        f"on it, so that nothing is accepted that could not be kept. {RESTORE_HINT}"
    ), took


def startup_problem() -> str | None:
    """The first reason not to start, if any."""
    problem = data_dir_problem()
    if problem is None:
        problem, _took = database_problem()
    return problem

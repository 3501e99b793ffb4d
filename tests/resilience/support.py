"""What the resilience tests share: real `shopwatch` processes on the test database, and record dumps."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 180  # seconds a real process may take on a loaded machine (a limit on waiting, not a speed assertion)


def database_url(name: str | None = None) -> str:
    """The test database (or another database ``name`` on the same PostgreSQL server) as a DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name or db['NAME']}"
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{name or db['NAME']}"


def shopwatch_env(data_dir: Path, db_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": db_url,
        "SHOPWATCH_DATA_DIR": str(data_dir),
        "SHOPWATCH_API_RATE_LIMIT": str(settings.SHOPWATCH_API_RATE_LIMIT),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def shopwatch(env: dict[str, str], *args: str, timeout: float = LIMIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopwatch.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_names() -> list[str]:
    return sorted(connection.introspection.table_names())


def columns_of(table: str) -> list[str]:
    """A table's column names in the order ``SELECT *`` gives them."""
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def rows_of(db_url: str, tables: list[str]) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Every row of every table, keyed by its first column (the primary key; the whole row when it is not
    unique), read straight from the database at ``db_url``."""
    out: dict[str, dict[Any, tuple[Any, ...]]] = {}
    if db_url.startswith("sqlite:///"):
        conn: Any = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    else:
        import psycopg

        conn = psycopg.connect(db_url.replace("postgres://", "postgresql://", 1))
    try:
        for table in tables:
            cur = conn.cursor()
            cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from Django's introspection
            rows = [tuple(r) for r in cur.fetchall()]
            keys = [r[0] for r in rows]
            unique = len(set(keys)) == len(keys)
            out[table] = {(r[0] if unique else repr(r)): r for r in rows}
    finally:
        conn.close()
    return out

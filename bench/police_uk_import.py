"""Benchmark: import the January-April 2024 data.police.uk street files into a fresh database.

    uv run python bench/police_uk_import.py [STREET_DIR]
    DATABASE_URL=postgres://user@host:port/db uv run python bench/police_uk_import.py

SQLite: a new database file in a temporary directory. PostgreSQL (when DATABASE_URL is given): a new
database ``shopwatch_bench_<random>`` is created on that server (the user needs CREATEDB), used, and
dropped afterwards, so the database named in the URL is never written to. Prints rows, seconds and rows
per second.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DIR = Path("/work/shared/data/police-uk/street")
ROOT = Path(__file__).resolve().parent.parent


def run(label: str) -> None:
    """Set up Django against whatever DATABASE_URL says now, migrate, import, report."""
    import django
    from django.core.management import call_command

    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopwatch.settings"
    django.setup()
    call_command("migrate", verbosity=0)

    from shopwatch.core.entitlements import Viewer
    from shopwatch.core.models import Channel
    from shopwatch.opendata.models import CrimeCount, StreetCrime
    from shopwatch.opendata.services import FileStatus, police_uk_import

    street_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    months = [street_dir / m for m in ("2024-01", "2024-02", "2024-03", "2024-04")]
    files = sorted(p for m in months for p in m.glob("*.csv"))
    size = sum(p.stat().st_size for p in files)
    viewer = Viewer(user_id=None, channel=Channel.CLI)

    started = time.perf_counter()
    reports = police_uk_import(viewer=viewer, paths=months)
    seconds = time.perf_counter() - started
    rows = sum(r.rows for r in reports if r.status == FileStatus.IMPORTED)
    failed = [r for r in reports if r.status == FileStatus.FAILED]
    print(
        f"[{label}] {len(files)} files, {size / 1e6:.1f} MB: {rows:,} rows in {seconds:.1f} s "
        f"= {rows / seconds:,.0f} rows/s ({len(failed)} failed)"
    )
    assert StreetCrime.objects.count() == rows
    print(f"[{label}] rollup rows: {CrimeCount.objects.count():,}")

    started = time.perf_counter()
    again = police_uk_import(viewer=viewer, paths=months)
    seconds = time.perf_counter() - started
    skipped = sum(1 for r in again if r.status == FileStatus.SKIPPED)
    print(f"[{label}] re-import of the same files: {skipped} of {len(again)} skipped in {seconds:.1f} s")


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        with tempfile.TemporaryDirectory(prefix="shopwatch-bench-") as tmp:
            os.environ["SHOPWATCH_DATA_DIR"] = tmp
            run("sqlite")
        return

    import psycopg

    parts = urlsplit(url)
    name = f"shopwatch_bench_{secrets.token_hex(4)}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ.setdefault("SHOPWATCH_DATA_DIR", tempfile.mkdtemp(prefix="shopwatch-bench-"))
    try:
        run("postgresql")
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()

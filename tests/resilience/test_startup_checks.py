"""`shopwatch serve` and `shopwatch demo` refuse to start, with one clear sentence and no traceback, on a
damaged SQLite database or a data directory they cannot write. And the embedded database syncs each commit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.resilience.support import ROOT, free_port

NOBODY = 65534


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SHOPWATCH_ENV")}
    env.update(
        DJANGO_SETTINGS_MODULE="shopwatch.settings",
        SHOPWATCH_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
    )
    return env


def _run(data_dir: Path, *args: str, as_nobody: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "shopwatch.cli", *args]
    if as_nobody and os.geteuid() == 0:
        # root writes through any permission bits: run as an ordinary user to meet a read-only directory.
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    return subprocess.run(
        cmd, env=_env(data_dir), cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder another user can enter (pytest's own are private to their owner)."""
    path = Path(tempfile.mkdtemp(prefix="shopwatch-startup-"))
    path.chmod(0o755)
    yield path
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            (Path(root) / d).chmod(0o755)
    subprocess.run(["rm", "-rf", str(path)], check=False)


def _damaged_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE reporting_incident(id INTEGER PRIMARY KEY, description TEXT)")
    conn.executemany(
        "INSERT INTO reporting_incident(description) VALUES (?)", [("Took razors " * 40,)] * 2000
    )
    conn.commit()
    conn.close()
    with path.open("r+b") as f:  # a torn write: pages in the middle of the table overwritten
        f.seek(4096 * 20)
        f.write(b"\x0d\xff" * 4096 * 3)


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_damaged_database_is_refused_with_a_clear_message(tmp_path: Path, command: str) -> None:
    _damaged_database(tmp_path / "shopwatch.sqlite3")
    done = _run(tmp_path, command, "--port", str(free_port()))
    assert done.returncode != 0
    assert "is damaged" in done.stderr
    assert "shopwatch restore" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_data_directory_that_is_not_a_database_at_all_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shopwatch.sqlite3").write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    done = _run(tmp_path, "serve", "--port", str(free_port()))
    assert done.returncode != 0
    assert "is damaged" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_data_directory_that_cannot_be_made_is_said_plainly(shared_tmp: Path) -> None:
    parent = shared_tmp / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    done = _run(parent / "var", "serve", "--port", str(free_port()), as_nobody=True)
    assert done.returncode == 2
    assert "cannot be written" in done.stderr
    assert "SHOPWATCH_DATA_DIR" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_read_only_data_directory_is_said_plainly(shared_tmp: Path) -> None:
    data_dir = shared_tmp / "var"
    data_dir.mkdir()
    (data_dir / "static").mkdir()
    (data_dir / "secret_key").write_text("k" * 50)
    (data_dir / "secret_key").chmod(0o644)
    data_dir.chmod(0o555)
    for command in ("serve", "demo"):
        done = _run(data_dir, command, "--port", str(free_port()), as_nobody=True)
        assert done.returncode != 0
        assert f"{data_dir} cannot be written" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.django_db
def test_the_embedded_database_syncs_every_commit() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's synchronous setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        (level,) = cursor.fetchone()
        cursor.execute("PRAGMA journal_mode")
        (mode,) = cursor.fetchone()
    assert (level, mode) == (2, "wal")  # 2 = FULL: the WAL is synced at every commit


def test_a_read_only_database_file_is_said_plainly(shared_tmp: Path) -> None:
    data_dir = shared_tmp / "var"
    data_dir.mkdir()
    data_dir.chmod(0o777)  # the directory is writable by anyone; only the database file is not
    (data_dir / "secret_key").write_text("k" * 50)
    (data_dir / "secret_key").chmod(0o644)
    db = data_dir / "shopwatch.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t(x)")
    conn.close()
    db.chmod(0o444)
    done = _run(data_dir, "serve", "--port", str(free_port()), as_nobody=True)
    assert done.returncode != 0
    assert f"The database {db} cannot be written" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.django_db(transaction=True)
def test_checking_the_database_from_a_live_server_process_loses_nothing(tmp_path: Path) -> None:
    """The health page runs the start-up checks inside the web server, beside its live SQLite connections.
    They must not drop the connections' locks on the database file (opening and closing another descriptor
    of it would): then another process closing its last connection would take itself for the last user and
    delete the WAL under them, and what they commit afterwards would be lost."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locks")
    from shopwatch.core.health import preflight_checks, storage
    from shopwatch.core.preflight import data_dir_problem

    name = str(connection.settings_dict["NAME"])
    other_process = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "print(c.execute('SELECT count(*) FROM canary').fetchone()[0]); c.close()"
    )

    def count_in_another_process() -> str:
        done = subprocess.run(
            [sys.executable, "-c", other_process, name], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE canary (n INTEGER)")
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO canary VALUES (1)")
        assert data_dir_problem() is None
        preflight_checks()
        storage()
        assert count_in_another_process() == "1"
        assert Path(name + "-shm").exists()  # the other process did not take itself for the last user
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO canary VALUES (2)")  # committed (autocommit) after the checks
        assert count_in_another_process() == "2"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE canary")

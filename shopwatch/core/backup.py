"""Backups of a running ShopWatch, and restoring one into an empty data directory.

A backup is a new directory holding:

* ``database.sqlite3``: a consistent copy of the embedded SQLite database, made with SQLite's online backup
  API in one step (it reads one snapshot while the server goes on writing, and never copies a torn page as a
  plain file copy of a live database can), checked with ``PRAGMA integrity_check``; or ``database.pgdump``,
  PostgreSQL's ``pg_dump --format=custom`` of the configured database (one snapshot as well);
* ``data/``: every other file of the data directory (stored evidence and photos under ``files/``, partial tus
  uploads under ``uploads/``, the generated secret key and web-push key), copied after the database snapshot:
  a stored file is written before the row that names it is committed, so every file the snapshot names is
  there (files removed between the two, by retention, are not; files stored after it are extra and unnamed);
* ``manifest.json``: the database and every file with its size and SHA-256, written last, so a backup without
  a manifest is an unfinished one.

Collected static files are left out (``collectstatic`` makes them again). With an S3-compatible object store
the stored files live in the store, not in the data directory, and are not copied (the manifest says so).

``restore_backup`` checks every hash before it changes anything, refuses a data directory (or PostgreSQL
database) that already holds data unless ``force``, writes each file under a temporary name and renames it
into place, and makes the database last. Stop the server before restoring.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from .health import LAST_BACKUP_FILE, record_backup

FORMAT = "shopwatch-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_NAME = "database.sqlite3"
PG_NAME = "database.pgdump"
DATA = "data"
CHUNK = 1024 * 1024
# What the data directory holds that a backup leaves out: collected static files (made again on start), and
# the note of the last backup made from it (it describes this data directory, not the restored one).
SKIPPED_DIRS = frozenset({"static"})
SKIPPED_FILES = frozenset({LAST_BACKUP_FILE, Path(LAST_BACKUP_FILE).with_suffix(".tmp").name})
# SQLite's working files beside a database: never copied as they are (the database comes from its online
# backup).
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """Why a backup or a restore could not be made; nothing half-done is left in place."""


@dataclass
class BackupReport:
    directory: Path
    database: str
    files: int = 0
    bytes: int = 0
    notes: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _copy_hashed(src: Path, dst: Path) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` (fsynced), hashing the bytes as they are copied."""
    h = hashlib.sha256()
    size = 0
    with src.open("rb") as fin, dst.open("xb") as fout:
        while chunk := fin.read(CHUNK):
            h.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copymode(src, dst)
    return h.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _database() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def database_vendor() -> str:
    engine = str(_database()["ENGINE"])
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"Backups cover SQLite and PostgreSQL; the configured database engine is {engine}.")


def sqlite_path() -> Path:
    return Path(str(_database()["NAME"])).resolve()


def _database_files() -> set[Path]:
    if database_vendor() != "sqlite":
        return set()
    db = sqlite_path()
    return {db, *(db.with_name(db.name + suffix) for suffix in SQLITE_SIDECARS)}


def _uses_local_storage() -> bool:
    backend = str(settings.STORAGES["default"]["BACKEND"])
    return backend == "django.core.files.storage.FileSystemStorage"


def _data_files(data_dir: Path, *, skip: set[Path]) -> Iterator[Path]:
    """Every regular file of the data directory that a backup holds, in a stable order."""
    for root, dirs, files in os.walk(data_dir):
        here = Path(root)
        if here == data_dir:
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip)
        for name in sorted(files):
            path = here / name
            if path.resolve() in skip or name.endswith(SQLITE_SIDECARS):
                continue
            if here == data_dir and name in SKIPPED_FILES:
                continue
            if path.is_symlink() or not path.is_file():
                continue
            yield path


def pg_environment() -> dict[str, str]:
    """libpq's environment for the configured PostgreSQL database (the password never on a command line)."""
    db = _database()
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found; install PostgreSQL's client tools (postgresql-client).")
    return path


def _backup_sqlite(target: Path) -> None:
    if not sqlite_path().is_file():
        raise BackupError(f"There is no database at {sqlite_path()} to back up.")
    source = sqlite3.connect(sqlite_path(), timeout=30)
    dest = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, from one read snapshot; writers go on meanwhile (WAL).
        source.backup(dest, pages=-1)
        (result,) = dest.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise BackupError(f"The copied database failed its integrity check: {result}")
        # One self-contained file (WAL again when the server opens it).
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
        source.close()
    with target.open("rb+") as f:
        os.fsync(f.fileno())


def _backup_postgresql(target: Path) -> None:
    done = subprocess.run(  # noqa: S603 - the PostgreSQL tool, our own arguments
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)],
        env=pg_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def make_backup(directory: Path, *, progress: Callable[[str], None] = lambda _m: None) -> BackupReport:
    """Write a consistent backup of the configured database and the data directory's files to ``directory``
    (which must not exist yet, or be empty, and must lie outside the data directory)."""
    directory = directory.resolve()
    data_dir = Path(settings.DATA_DIR).resolve()
    if directory == data_dir or data_dir in directory.parents:
        raise BackupError(f"Write the backup outside the data directory ({data_dir}).")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} already exists; a backup goes into a new (or empty) directory.")
    vendor = database_vendor()
    directory.mkdir(parents=True, exist_ok=True)
    report = BackupReport(directory=directory, database=vendor)

    progress(f"Copying the {vendor} database...")
    db_name = SQLITE_NAME if vendor == "sqlite" else PG_NAME
    if vendor == "sqlite":
        _backup_sqlite(directory / db_name)
    else:
        _backup_postgresql(directory / db_name)
    db_sha, db_size = _sha256_file(directory / db_name)
    report.bytes += db_size

    progress("Copying the stored files...")
    files: list[dict[str, Any]] = []
    data_out = directory / DATA
    data_out.mkdir()
    for path in _data_files(data_dir, skip=_database_files() | {directory}):
        rel = path.relative_to(data_dir)
        dst = data_out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            sha, size = _copy_hashed(path, dst)
        except FileNotFoundError:
            continue  # removed (or moved into evidence storage) since it was listed
        files.append({"path": rel.as_posix(), "size": size, "sha256": sha})
        report.files += 1
        report.bytes += size
    for root, _dirs, _files in os.walk(data_out):
        _fsync_dir(Path(root))
    if not _uses_local_storage():
        report.notes.append(
            "Stored files are in the object store "
            f"({settings.STORAGES['default']['BACKEND']}); they are not in this backup."
        )

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "database": {"vendor": vendor, "path": db_name, "size": db_size, "sha256": db_sha},
        "files": files,
        "notes": report.notes,
    }
    tmp = directory / (MANIFEST + ".tmp")
    with tmp.open("w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.rename(directory / MANIFEST)
    _fsync_dir(directory)
    with contextlib.suppress(OSError):  # the backup is good even if the health page cannot be told of it
        record_backup(directory=directory, files=report.files, size_bytes=report.bytes)
    return report


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} holds no {MANIFEST}: it is not a finished ShopWatch backup.")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{path} is not a ShopWatch backup manifest (version {VERSION}).")
    return manifest


def _safe_relative(raw: str) -> Path:
    rel = Path(raw)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise BackupError(f"The manifest names a path outside the backup: {raw!r}")
    return rel


def verify_backup(directory: Path) -> dict[str, Any]:
    """The manifest, once every file it names has the size and SHA-256 it records."""
    manifest = read_manifest(directory)
    db = manifest["database"]
    wrong: list[str] = []
    items = [(directory / _safe_relative(db["path"]), db)]
    items += [(directory / DATA / _safe_relative(f["path"]), f) for f in manifest["files"]]
    for path, item in items:
        if not path.is_file():
            wrong.append(f"{path.relative_to(directory)}: missing")
            continue
        sha, size = _sha256_file(path)
        if (sha, size) != (item["sha256"], item["size"]):
            wrong.append(f"{path.relative_to(directory)}: SHA-256 or size differs from the manifest")
    if wrong:
        shown = "; ".join(wrong[:10]) + (f"; and {len(wrong) - 10} more" if len(wrong) > 10 else "")
        raise BackupError(f"The backup in {directory} is damaged: {shown}. Nothing was restored.")
    return manifest


def _postgres_has_tables() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")
        row = cursor.fetchone()
    connection.close()
    return bool(row and row[0])


def data_present() -> list[str]:
    """What the configured data directory (and database) already holds, in words; empty when nothing."""
    data_dir = Path(settings.DATA_DIR).resolve()
    found: list[str] = []
    if database_vendor() == "sqlite":
        db = sqlite_path()
        if db.exists() and db.stat().st_size > 0:
            found.append(f"the database {db}")
    elif _postgres_has_tables():
        found.append(f"tables in the PostgreSQL database {_database()['NAME']}")
    for sub in ("files", "uploads"):
        if any(p.is_file() for p in (data_dir / sub).rglob("*")):
            found.append(f"stored files in {data_dir / sub}")
    return found


def _place(src: Path, dst: Path, sha256: str) -> None:
    """Copy ``src`` to ``dst`` through a temporary name, checking the hash of what was written."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.restoring")
    tmp.unlink(missing_ok=True)
    got, _size = _copy_hashed(src, tmp)
    if got != sha256:
        tmp.unlink()
        raise BackupError(f"{dst} did not copy intact (SHA-256 differs); the restore stopped.")
    os.replace(tmp, dst)


def _restore_postgresql(dump: Path, *, clean: bool) -> None:
    cmd = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        cmd += ["--clean", "--if-exists"]
    cmd += ["--dbname", str(_database()["NAME"]), str(dump)]
    done = subprocess.run(cmd, env=pg_environment(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def restore_backup(
    directory: Path, *, force: bool = False, progress: Callable[[str], None] = lambda _m: None
) -> BackupReport:
    directory = directory.resolve()
    progress("Checking every file's SHA-256 against the manifest...")
    manifest = verify_backup(directory)
    vendor = database_vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"The backup holds a {manifest['database']['vendor']} database; the configured one is {vendor}."
        )
    present = data_present()
    if present and not force:
        raise BackupError(
            "The data directory is not empty (" + "; ".join(present) + "). Restore into an empty one, "
            "or add --force to replace what is there."
        )
    data_dir = Path(settings.DATA_DIR).resolve()
    report = BackupReport(directory=directory, database=vendor)
    if force:
        for sub in ("files", "uploads"):
            shutil.rmtree(data_dir / sub, ignore_errors=True)

    progress("Restoring the stored files...")
    for item in manifest["files"]:
        rel = _safe_relative(item["path"])
        _place(directory / DATA / rel, data_dir / rel, item["sha256"])
        report.files += 1
        report.bytes += int(item["size"])
    for root, _dirs, _files in os.walk(data_dir):
        _fsync_dir(Path(root))

    progress(f"Restoring the {vendor} database...")
    db_item = manifest["database"]
    source = directory / _safe_relative(db_item["path"])
    if vendor == "sqlite":
        db = sqlite_path()
        for suffix in SQLITE_SIDECARS:
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        _place(source, db, db_item["sha256"])
        _fsync_dir(db.parent)
    else:
        _restore_postgresql(source, clean=force)
    report.bytes += int(db_item["size"])
    return report

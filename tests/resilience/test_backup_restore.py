"""`shopwatch backup DIR` while reports and photos are being written, then `shopwatch restore DIR` into an
empty data directory: every record of the backup is there exactly as it was, every file has its SHA-256, and
every report acknowledged before the backup began is in it. On SQLite through the online backup API; on
PostgreSQL (when the suite runs there) through pg_dump and pg_restore."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, connections

from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add
from shopwatch.reporting.models import Incident
from tests.evidence.images import jpeg_bytes
from tests.resilience.support import (
    columns_of,
    database_url,
    rows_of,
    sha256_file,
    shopwatch,
    shopwatch_env,
    table_names,
)
from tests.world import World

WRITER_EPOCH = dt.datetime(2026, 1, 5, 9, 0, 0)


class Writer(threading.Thread):
    """Files reports (every third with a photo) until told to stop, remembering when each was acknowledged."""

    def __init__(self, world: World) -> None:
        super().__init__(daemon=True)
        self.world = world
        self.stop = threading.Event()
        self.acknowledged: list[tuple[float, int]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                incident = self.world.report("reporter", "nw-brighton", description=f"Took razors ({n})")
                if n % 3 == 0:
                    # Each photo distinct bytes (its own capture time): nearby flat colours encode to the same
                    # JPEG, and bytes the organisation already holds are linked to the new incident instead
                    # (a custody entry on the existing file), which would no longer be "only adding records".
                    taken = (WRITER_EPOCH + dt.timedelta(seconds=n)).strftime("%Y:%m:%d %H:%M:%S")
                    evidence_add(
                        viewer=self.world.viewer("reporter"),
                        incident=incident,
                        fileobj=io.BytesIO(jpeg_bytes(color=(n % 256, 40, 90), taken=taken)),
                        filename=f"till-{n}.jpg",
                    )
                self.acknowledged.append((time.monotonic(), incident.pk))
                n += 1
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connections.close_all()


@pytest.fixture
def restore_target(transactional_db: None, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """An empty data directory and an empty database for it (on PostgreSQL a new database, same server)."""
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    if connection.vendor == "sqlite":
        yield data_dir, database_url(str(data_dir / "shopwatch.sqlite3"))
        return
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield data_dir, database_url(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_taken_during_writes_restores_every_record_and_file(
    world: World, restore_target: tuple[Path, str], tmp_path: Path
) -> None:
    restored_dir, restored_url = restore_target
    source_env = shopwatch_env(Path(settings.DATA_DIR), database_url())
    # Photos are stored in the data directory the backup copies (a test that moved the storage elsewhere and
    # did not put it back would make this test look for them in the wrong place).
    assert Path(default_storage.path("photo.jpg")).parent == Path(settings.DATA_DIR) / "files"
    for n in range(5):
        evidence_add(
            viewer=world.viewer("reporter"),
            incident=world.report("reporter", "nw-brighton"),
            fileobj=io.BytesIO(jpeg_bytes(color=(10, n, 200))),
            filename=f"before-{n}.jpg",
        )
    writer = Writer(world)
    writer.start()
    while len(writer.acknowledged) < 5 and writer.is_alive():
        time.sleep(0.05)
    began = time.monotonic()
    backup_dir = tmp_path / "backup"
    made = shopwatch(source_env, "backup", str(backup_dir))
    writer.stop.set()
    writer.join(timeout=60)
    assert writer.error is None, writer.error
    assert made.returncode == 0, made.stderr
    assert "Backed up the" in made.stdout
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor

    restored_env = shopwatch_env(restored_dir, restored_url)
    done = shopwatch(restored_env, "restore", str(backup_dir))
    assert done.returncode == 0, done.stderr
    assert "every SHA-256 matched" in done.stdout

    # Every record in the restored database is exactly the source's record (the writer only adds records,
    # so what the backup holds is unchanged in the source).
    tables = table_names()
    source = rows_of(database_url(), tables)
    restored = rows_of(restored_url, tables)
    differing = {
        table: [key for key, row in rows.items() if source[table].get(key) != row]
        for table, rows in restored.items()
    }
    assert {t: keys[:5] for t, keys in differing.items() if keys} == {}
    restored_incidents = set(restored[Incident._meta.db_table])
    # Every report acknowledged before the backup began is in it, and the backup is not empty of the rest.
    before = {pk for at, pk in writer.acknowledged if at < began}
    assert before
    assert before <= restored_incidents
    assert len(restored_incidents) < len(source[Incident._meta.db_table]) or not any(
        at > began for at, _pk in writer.acknowledged
    )

    # Every stored file the restored database names is there with the SHA-256 it records, and every restored
    # file is byte for byte the source's.
    evidence_table = EvidenceFile._meta.db_table
    file_column = columns_of(evidence_table).index("file")
    sha_column = columns_of(evidence_table).index("sha256")
    named = list(restored[evidence_table].values())
    assert len(named) >= 5
    for row in named:
        restored_file = restored_dir / "files" / row[file_column]
        assert sha256_file(restored_file) == row[sha_column], row[file_column]
    for item in manifest["files"]:
        assert sha256_file(restored_dir / item["path"]) == item["sha256"]
        original = Path(settings.DATA_DIR) / item["path"]
        if original.exists():
            assert sha256_file(original) == item["sha256"]

    # The restored data directory is not empty now: restoring again is refused unless --force.
    again = shopwatch(restored_env, "restore", str(backup_dir))
    assert again.returncode != 0
    assert "not empty" in again.stderr
    forced = shopwatch(restored_env, "restore", str(backup_dir), "--force")
    assert forced.returncode == 0, forced.stderr


def test_a_damaged_backup_is_refused_before_anything_changes(
    world: World, restore_target: tuple[Path, str], tmp_path: Path
) -> None:
    restored_dir, restored_url = restore_target
    evidence_add(
        viewer=world.viewer("reporter"),
        incident=world.report("reporter", "nw-brighton"),
        fileobj=io.BytesIO(jpeg_bytes()),
        filename="till.jpg",
    )
    backup_dir = tmp_path / "backup"
    made = shopwatch(shopwatch_env(Path(settings.DATA_DIR), database_url()), "backup", str(backup_dir))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    photo = next(f for f in manifest["files"] if f["path"].startswith("files/"))
    damaged = backup_dir / "data" / photo["path"]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))

    done = shopwatch(shopwatch_env(restored_dir, restored_url), "restore", str(backup_dir))
    assert done.returncode != 0
    assert "is damaged" in done.stderr
    assert photo["path"] in done.stderr
    assert not (restored_dir / "files").exists()
    assert not (restored_dir / "shopwatch.sqlite3").exists()


def test_backup_refuses_an_existing_directory_and_one_inside_the_data_directory(
    world: World, tmp_path: Path
) -> None:
    env = shopwatch_env(Path(settings.DATA_DIR), database_url())
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    refused = shopwatch(env, "backup", str(tmp_path / "full"))
    assert refused.returncode != 0
    assert "already exists" in refused.stderr
    inside = shopwatch(env, "backup", str(Path(settings.DATA_DIR) / "backups" / "one"))
    assert inside.returncode != 0
    assert "outside the data directory" in inside.stderr


def test_the_note_of_the_last_backup_stays_with_the_data_directory_it_describes(
    world: World, tmp_path: Path
) -> None:
    """The health page's "last backup" note is the source's: a later backup does not carry it (it changes as
    that backup finishes), so a restored data directory never claims a backup it did not make."""
    env = shopwatch_env(Path(settings.DATA_DIR), database_url())
    first = shopwatch(env, "backup", str(tmp_path / "first"))
    assert first.returncode == 0, first.stderr
    note = Path(settings.DATA_DIR) / "last-backup.json"
    assert json.loads(note.read_text())["directory"] == str((tmp_path / "first").resolve())
    second = shopwatch(env, "backup", str(tmp_path / "second"))
    assert second.returncode == 0, second.stderr
    manifest = json.loads((tmp_path / "second" / "manifest.json").read_text())
    assert "last-backup.json" not in {item["path"] for item in manifest["files"]}
    assert json.loads(note.read_text())["directory"] == str((tmp_path / "second").resolve())

"""Chain of custody and `shopwatch evidence verify`: a tampered file, an edited entry, a removed entry."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shopwatch.evidence.custody import GENESIS, entry_hash_of
from shopwatch.evidence.models import CustodyAction, CustodyEntry, EvidenceFile
from shopwatch.evidence.selectors import evidence_get
from shopwatch.evidence.services import evidence_add
from tests.evidence.images import jpeg_bytes
from tests.world import World


def add_photo(world: World, color: tuple[int, int, int] = (200, 30, 30)) -> EvidenceFile:
    incident = world.report("reporter", "nw-brighton")
    return evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes(color)),
        filename="till.jpg",
    )


def verify(*ids: int) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("evidence_verify", *[str(i) for i in ids], stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def raw_sql(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_receipt_and_every_view_enter_the_chain(world: World) -> None:
    evidence = add_photo(world)
    evidence_get(viewer=world.viewer("manager"), evidence_id=evidence.pk, purpose="content")
    evidence_get(viewer=world.viewer("security"), evidence_id=evidence.pk, purpose="download")
    entries = list(CustodyEntry.objects.filter(evidence=evidence).order_by("seq"))
    assert [e.action for e in entries] == [
        CustodyAction.RECEIVED,
        CustodyAction.VIEWED,
        CustodyAction.DOWNLOADED,
    ]
    assert [e.actor_id for e in entries] == [world.users[n].pk for n in ("reporter", "manager", "security")]
    assert entries[0].prev_hash == GENESIS
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert entries[0].detail["sha256"] == evidence.sha256
    evidence.refresh_from_db()
    assert evidence.custody_seq == 3
    assert evidence.custody_head == entries[2].entry_hash


def test_the_chain_cannot_be_changed_through_the_application(world: World) -> None:
    entry = CustodyEntry.objects.get(evidence=add_photo(world))
    with pytest.raises(PermissionError):
        CustodyEntry.objects.filter(pk=entry.pk).update(action="deleted")
    with pytest.raises(PermissionError):
        CustodyEntry.objects.filter(pk=entry.pk).delete()
    entry.action = "deleted"
    with pytest.raises(PermissionError):
        entry.save()


def test_verify_passes_when_all_is_well(world: World) -> None:
    add_photo(world)
    add_photo(world, (10, 200, 10))
    code, out, _ = verify()
    assert code == 0
    assert "OK: 2 files re-hashed" in out


def test_verify_names_a_tampered_file(world: World) -> None:
    evidence = add_photo(world)
    good = add_photo(world, (10, 200, 10))
    path = Path(default_storage.path(evidence.file.name))
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # one byte changed, same size
    path.write_bytes(bytes(data))
    code, _, err = verify()
    assert code == 1
    assert f"evidence {evidence.pk}: the stored file's SHA-256" in err
    assert "altered" in err
    assert f"evidence {good.pk}" not in err


def test_verify_names_a_missing_file(world: World) -> None:
    evidence = add_photo(world)
    default_storage.delete(evidence.file.name)
    code, _, err = verify()
    assert code == 1
    assert f"evidence {evidence.pk}: the stored file" in err
    assert "cannot be read" in err


def test_verify_names_an_edited_custody_entry(world: World) -> None:
    evidence = add_photo(world)
    evidence_get(viewer=world.viewer("manager"), evidence_id=evidence.pk)
    first = CustodyEntry.objects.get(evidence=evidence, seq=1)
    # Someone with database access rewrites who received it.
    raw_sql(
        f"UPDATE {CustodyEntry._meta.db_table} SET actor_label = %s WHERE id = %s",  # noqa: S608
        ["Someone Else", first.pk],
    )
    code, _, err = verify()
    assert code == 1
    assert f"evidence {evidence.pk}: custody entry 1 (received) was altered" in err


def test_verify_names_an_edit_that_also_recomputes_the_hash(world: World) -> None:
    evidence = add_photo(world)
    evidence_get(viewer=world.viewer("manager"), evidence_id=evidence.pk)
    first = CustodyEntry.objects.get(evidence=evidence, seq=1)
    first.actor_label = "Someone Else"
    forged = entry_hash_of(first)
    raw_sql(
        f"UPDATE {CustodyEntry._meta.db_table} SET actor_label = %s, entry_hash = %s WHERE id = %s",  # noqa: S608 (the table name comes from the model)
        ["Someone Else", forged, first.pk],
    )
    code, _, err = verify()
    assert code == 1
    assert "custody entry 2 does not follow entry 1" in err


def test_verify_names_a_removed_entry(world: World) -> None:
    evidence = add_photo(world)
    for _ in range(2):
        evidence_get(viewer=world.viewer("manager"), evidence_id=evidence.pk)
    middle = CustodyEntry.objects.get(evidence=evidence, seq=2)
    raw_sql(f"DELETE FROM {CustodyEntry._meta.db_table} WHERE id = %s", [middle.pk])  # noqa: S608 (the table name comes from the model)
    code, _, err = verify()
    assert code == 1
    assert "custody entry 2 is missing" in err


def test_verify_names_entries_cut_off_the_end(world: World) -> None:
    evidence = add_photo(world)
    evidence_get(viewer=world.viewer("manager"), evidence_id=evidence.pk)
    last = CustodyEntry.objects.get(evidence=evidence, seq=2)
    raw_sql(f"DELETE FROM {CustodyEntry._meta.db_table} WHERE id = %s", [last.pk])  # noqa: S608 (the table name comes from the model)
    code, _, err = verify()
    assert code == 1
    assert "custody entries after 1 are missing" in err


def test_the_cli_maps_evidence_verify(world: World) -> None:
    import subprocess
    import sys

    from django.conf import settings

    add_photo(world)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv=['shopwatch','evidence','verify','--help']; "
            "from shopwatch.cli import main; main()",
        ],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "SHOPWATCH_DATA_DIR": str(settings.DATA_DIR),
        },
    )
    assert result.returncode == 0
    assert "custody" in result.stdout

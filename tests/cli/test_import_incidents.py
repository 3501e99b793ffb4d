"""`shopwatch import incidents FILE.csv --org SLUG`: a retailer's back-file."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from shopwatch.core.models import AuditEvent, Channel
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Vehicle
from tests.world import World

HEADER = (
    "store,type,occurred_at,description,goods_value,flags,report_to_police,vehicle_registration,"
    "offender_description,external_ref"
)


def _run(path: Path, *args: str) -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_incidents", str(path), "--org", "northway", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def _errors(path: Path) -> list[tuple[str, str, str]]:
    with path.with_name(path.stem + ".errors.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["row", "field", "message"]
    return [(r[0], r[1], r[2]) for r in rows[1:]]


def test_good_rows_are_imported_bad_rows_reported_and_reimport_creates_nothing(
    world: World, tmp_path: Path
) -> None:
    brighton = world.stores["nw-brighton"]
    kiosk = world.stores["kiosk-crawley"]
    when = (timezone.now() - dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (timezone.now() + dt.timedelta(days=3)).strftime("%d/%m/%Y %H:%M")
    long_text = "x" * 10_001
    lines = [
        HEADER,
        f'{brighton.pk},theft,{when},"Took razor blades, left by the door",45.50,,false,,"Male, 30s",NW-1',
        'nw-hove,violence,01/03/2025 17:45,Pushed a colleague,"£1,250.00",staff_injured;violence,yes,'
        "AB12 CDE,,",
        f"nw-brigh,teft,{when},Unknown type,abc,bogus,maybe,CD34 EFG,,NW-3",
        f"{kiosk.pk},theft,{future},,,,,,,NW-4",
        f"nw-oxfor,theft,{when},{long_text},,,,,,NW-5",
        ",,,,,,,,,",
        f"nw-oxfor,Criminal Damage,{when},Kicked the door,,,TRUE,,,NW-6",
    ]
    path = tmp_path / "northway-2025.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    out, err, exc = _run(path)
    assert exc is not None
    assert "3 row(s) refused" in str(exc)
    assert "8 rows" not in out
    assert "6 rows: 3 imported, 0 already imported, 3 refused" in out
    assert "Row 4, type:" in err

    errors = _errors(path)
    fields = {(row, field) for row, field, _ in errors}
    assert fields == {
        ("4", "type"),
        ("4", "goods_value"),
        ("4", "flags"),
        ("4", "report_to_police"),
        ("5", "store"),
        ("5", "occurred_at"),
        ("5", "description"),
        ("6", "description"),
    }
    messages = {(row, field): message for row, field, message in errors}
    assert "not one of Northway Foods's stores" in messages[("5", "store")]
    assert "future" in messages[("5", "occurred_at")]
    assert "10,000" in messages[("6", "description")]

    imported = {i.external_ref: i for i in Incident.objects.all()}
    assert len(imported) == 3
    first = imported["NW-1"]
    assert (first.store, first.type, first.goods_value, first.channel) == (
        brighton,
        "theft",
        Decimal("45.50"),
        Channel.CSV.value,
    )
    assert first.offenders.get().description == "Male, 30s"
    second = next(i for ref, i in imported.items() if ref.startswith("csv-"))
    assert second.occurred_at == dt.datetime(2025, 3, 1, 17, 45, tzinfo=dt.UTC)  # 17:45 GMT in March
    assert (second.goods_value, second.sent_to_police, second.flags) == (
        Decimal(1250),
        True,
        ["violence", "staff_injured"],
    )
    assert second.vehicles.get().vehicle.registration == "AB12CDE"
    assert second.priority == "P1"
    assert second.offence_code == "8N"
    assert imported["NW-6"].type == "criminal_damage"
    assert imported["NW-6"].report_to_police
    # Nothing from a refused row was saved, not even its vehicle.
    assert not Vehicle.objects.filter(registration="CD34EFG").exists()
    audits = AuditEvent.objects.filter(object_type="incident", channel=Channel.CSV)
    assert audits.count() == 3
    summary = AuditEvent.objects.get(object_type="csv_import")
    assert summary.channel == Channel.CSV
    assert summary.detail["created"] == 3

    out, _, exc = _run(path)
    assert "3 already imported" in out
    assert "0 imported" in out
    assert Incident.objects.count() == 3
    assert len(_errors(path)) == len(errors)


def test_fixed_file_clears_the_error_report(world: World, tmp_path: Path) -> None:
    path = tmp_path / "back.csv"
    path.write_text(f"{HEADER}\nnw-brigh,theft,2025-01-01 10:00,Took cheese,bad,,,,,R1\n", encoding="utf-8")
    _, _, exc = _run(path)
    assert exc is not None
    assert (tmp_path / "back.errors.csv").exists()
    path.write_text(f"{HEADER}\nnw-brigh,theft,2025-01-01 10:00,Took cheese,4.00,,,,,R1\n", encoding="utf-8")
    out, _, exc = _run(path)
    assert exc is None
    assert "1 imported" in out
    assert not (tmp_path / "back.errors.csv").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (b"store,type,description\n1,theft,x\n", "Missing required column(s): occurred_at"),
        (HEADER.encode() + b",till_number\n", "Unknown column(s): till_number"),
        (HEADER.encode() + b"\n", "has a header but no rows"),
        (b"store;type;occurred_at;description\n1;theft;2025-01-01;x\n", "separated by semicolons"),
        (
            b"store,type,occurred_at,description\nnw-brigh,theft,2025-01-01,Caf\xe9 stock\n",
            "Line 2 has a byte (0xe9)",
        ),
        ("store,type".encode("utf-16"), "UTF-16"),
        (b"store,type,occurred_at,description,store\n", "appears more than once"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_clear_message(
    world: World, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "back.csv"
    path.write_bytes(content)
    _, err, exc = _run(path)
    assert exc is not None
    assert "was not imported" in str(exc)
    assert message in err
    assert message in " ".join(m for _, _, m in _errors(path))
    assert not Incident.objects.exists()


def test_options_for_other_encodings_and_unknown_columns(world: World, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"Store,Type,Occurred At,Description,Goods Value,Till\r\n"
        b"nw-brigh,theft,01/02/2025 09:15,Caf\xe9 coffee beans,\xa312.00,4\r\n"
    )
    _, err, exc = _run(path)
    assert exc is not None
    assert "--encoding" in err
    _, err, exc = _run(path, "--encoding", "cp1252")
    assert exc is not None
    assert "Unknown column(s): till" in err
    out, _, exc = _run(path, "--encoding", "cp1252", "--ignore-unknown-columns")
    assert exc is None, out
    incident = Incident.objects.get()
    assert incident.description == "Café coffee beans"
    assert incident.goods_value == 12


def test_a_utf8_bom_and_quoted_newlines_are_fine_and_huge_values_are_refused(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "bom.csv"
    huge = "y" * 100_001
    path.write_bytes(
        "\ufeffstore,type,occurred_at,description\n"
        'nw-brigh,theft,2025-01-01T10:00:00+01:00,"Line one\nline two"\n'
        f"nw-brigh,theft,2025-01-01T11:00:00Z,{huge}\n"
        "nw-brigh,fraud,2025-01-02T11:00:00Z,Refund fraud\n".encode()
    )
    _out, err, exc = _run(path)
    assert exc is not None
    assert "Row 3, row: Cannot read this row: A value is longer than 100,000 characters." in err
    assert {i.description for i in Incident.objects.all()} == {"Line one\nline two", "Refund fraud"}
    assert Incident.objects.get(type="theft").occurred_at == dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)


def test_import_refuses_organisations_that_are_not_retailers(world: World, tmp_path: Path) -> None:
    path = tmp_path / "back.csv"
    path.write_text(f"{HEADER}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not imported"):
        call_command(
            "import_incidents", str(path), "--org", "brighton-bcrp", stdout=StringIO(), stderr=StringIO()
        )
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_incidents", str(path), "--org", "nope", stdout=StringIO(), stderr=StringIO())

"""Importing data.police.uk files: idempotent, atomic per file, quirks counted, bad input reported."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import NotEntitled
from shopwatch.core.models import AuditEvent, Channel
from shopwatch.opendata.forces import FORCE_SLUGS, FORCES
from shopwatch.opendata.models import CrimeCount, CrimeOutcome, FileKind, ImportedFile, StreetCrime
from shopwatch.opendata.selectors import latest_outcomes, outcome_join_summary, police_uk_month
from shopwatch.opendata.services import BATCH_SIZE, FileStatus, police_uk_file_import
from tests.opendata.conftest import DATA, STREET, expected_counts, read_rows, run_import, street_file
from tests.shared_data import DATA as SHARED_DATA
from tests.world import World

CLI = Viewer(user_id=None, channel=Channel.CLI)


def _month(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01")


def _snapshot() -> tuple[int, int, int, list[tuple[Any, ...]]]:
    counts = sorted(
        CrimeCount.objects.values_list("force", "month", "crime_type__name", "last_outcome__name", "count"),
        key=str,
    )
    return (ImportedFile.objects.count(), StreetCrime.objects.count(), CrimeOutcome.objects.count(), counts)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_the_force_table_has_the_44_data_police_uk_slugs_and_every_file_names_one() -> None:
    assert len(FORCE_SLUGS) == 44
    assert {"btp", "city-of-london", "metropolitan", "sussex", "thames-valley"} <= set(FORCE_SLUGS)
    named = {p.name[8:].split("-street")[0] for p in STREET.rglob("*.csv")}
    assert named <= set(FORCE_SLUGS)
    for path in STREET.glob("2024-01/*.csv"):
        force = path.name[8:].split("-street")[0]
        assert read_rows(path)[0]["Falls within"] == FORCES[force].name


def test_shopwatch_import_police_uk_runs_the_import_police_uk_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import django.core.management

    from shopwatch.cli import main

    seen: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    monkeypatch.setattr(sys, "argv", ["shopwatch", "import", "police-uk", "a.csv", "dir"])
    main()
    assert seen == [["shopwatch", "import_police_uk", "a.csv", "dir"]]


def test_reimporting_the_same_file_is_skipped_and_changes_nothing(world: World) -> None:
    path = street_file("2024-01", "city-of-london", shoplifting_only=True)
    first = run_import(path)
    assert "IMPORTED" in first.output
    before = _snapshot()
    assert before[1] == len(read_rows(path))

    second = run_import(path)
    assert not second.failed
    assert "SKIPPED" in second.output
    assert "Already imported" in second.output
    assert "1 skipped" in second.output
    assert _snapshot() == before
    assert AuditEvent.objects.filter(object_type="police_uk_file").count() == 1


def test_a_corrected_file_replaces_the_earlier_one(world: World, tmp_path: Path) -> None:
    original = street_file("2024-01", "city-of-london", shoplifting_only=True)
    assert not run_import(original).failed
    lines = _lines(original)
    corrected = tmp_path / original.name
    corrected.write_text("".join(lines[:-40]), encoding="utf-8")  # 40 fewer rows

    result = run_import(corrected)
    assert not result.failed, result.output
    assert "REPLACED" in result.output
    current = ImportedFile.objects.get(
        force="city-of-london", kind=FileKind.STREET, superseded_at__isnull=True
    )
    old = ImportedFile.objects.get(force="city-of-london", superseded_at__isnull=False)
    assert old.superseded_by == current
    assert current.rows == len(lines) - 41
    assert StreetCrime.objects.count() == current.rows
    summary = police_uk_month(
        viewer=world.viewer("police_sussex"), force="city-of-london", month=_month("2024-01")
    )
    assert summary is not None
    assert summary.crime_types == expected_counts(corrected)[0]

    # Importing the original again puts its rows back, replacing the correction.
    assert "REPLACED" in run_import(original).output
    assert StreetCrime.objects.count() == len(lines) - 1


def test_a_truncated_file_is_refused_whole_and_leaves_earlier_data_alone(
    world: World, tmp_path: Path
) -> None:
    good = street_file("2024-01", "city-of-london", shoplifting_only=True)
    assert not run_import(good).failed
    before = _snapshot()

    big = street_file("2024-01", "sussex")
    data = big.read_bytes()
    cut = data[: int(len(data) * 0.8)]
    assert cut.count(b"\n") > BATCH_SIZE  # a batch was written before the end was found
    assert not cut.endswith(b"\n")
    truncated = tmp_path / big.name
    truncated.write_bytes(cut)
    result = run_import(truncated)
    assert result.failed
    assert "FAILED" in result.output
    assert "truncated" in result.output
    assert _snapshot() == before
    assert not ImportedFile.objects.filter(force="sussex").exists()

    # A truncated correction of an imported file leaves the imported one in place.
    lines = _lines(good)
    cut_copy = tmp_path / "copy" / good.name
    cut_copy.parent.mkdir()
    cut_copy.write_text("".join(lines[:-1]) + lines[-1][:30], encoding="utf-8")
    result = run_import(cut_copy)
    assert result.failed
    assert "truncated" in result.output
    assert _snapshot() == before


def test_a_file_from_another_source_is_refused(world: World, tmp_path: Path) -> None:
    other = SHARED_DATA / "linkage/splink/fake_1000_from_splink_demos.csv"
    wrong = tmp_path / "2024-01-sussex-street.csv"
    wrong.write_text("".join(_lines(other)[:50]), encoding="utf-8")
    outcomes_named_street = tmp_path / "x" / "2022-01-thames-valley-street.csv"
    outcomes_named_street.parent.mkdir()
    outcomes_named_street.write_text(
        "".join(_lines(DATA / "outcomes/2022-01/2022-01-thames-valley-outcomes.csv")[:50]), encoding="utf-8"
    )
    not_utf8 = tmp_path / "y" / "2024-01-sussex-street.csv"
    not_utf8.parent.mkdir()
    street = _lines(street_file("2024-01", "sussex"))
    not_utf8.write_bytes("".join(street[:20]).encode() + "x,2024-01,Café".encode("latin-1") + b"\r\n")
    result = run_import(wrong, outcomes_named_street, not_utf8)
    assert result.failed
    assert "the file is not UTF-8 text" in result.output
    assert "wrong header: this is not a data.police.uk street-level file" in result.output
    assert "columns are those of a outcomes file" in result.output
    assert _snapshot()[:3] == (0, 0, 0)


def test_unknown_forces_bad_names_and_missing_paths_are_reported(world: World, tmp_path: Path) -> None:
    source = _lines(street_file("2024-01", "city-of-london", shoplifting_only=True))
    for name in ["2024-01-gotham-street.csv", "2024-13-sussex-street.csv", "sussex-2024-01.csv"]:
        (tmp_path / name).write_text("".join(source[:5]), encoding="utf-8")
    result = run_import(tmp_path, tmp_path / "nowhere")
    assert result.failed
    assert "Unknown force 'gotham'" in result.output
    assert "'2024-13' is not YYYY-MM" in result.output
    assert "is not a data.police.uk file name" in result.output
    assert "No such file or directory" in result.output
    assert "4 failed" in result.output
    assert _snapshot()[:3] == (0, 0, 0)


def test_bad_rows_are_skipped_and_reported_with_their_lines(world: World, tmp_path: Path) -> None:
    source = _lines(street_file("2024-01", "city-of-london", shoplifting_only=True))
    header, good = source[0], source[1:101]
    wrong_month = good[0].replace(",2024-01,", ",2023-12,", 1)
    wrong_force = good[1].replace(
        "City of London Police,City of London Police", "City of London Police,Kent Police", 1
    )
    short = "abc,2024-01,City of London Police\r\n"
    broken_quote = good[2].replace(",On or near", ',"On "or near', 1)
    bad_coordinates = good[3].replace(good[3].split(",")[4], "west", 1)
    rows = [header, *good[:10], wrong_month, wrong_force, short, broken_quote, bad_coordinates, *good[10:]]
    path = tmp_path / "2024-01-city-of-london-street-shoplifting-only.csv"
    path.write_text("".join(rows), encoding="utf-8")

    report = police_uk_file_import(viewer=CLI, path=path)
    assert report.status == FileStatus.IMPORTED, report.reason
    assert report.rows == 100
    assert report.skipped_rows == 5
    reasons = {reason: tally.lines for reason, tally in report.skipped.items()}
    assert reasons["Month is not 2024-01 as the file name says"] == [12]
    assert reasons["Falls within is not 'City of London Police'"] == [13]
    assert reasons["wrong number of columns (expected 12)"] == [14]
    assert next(lines for reason, lines in reasons.items() if reason.startswith("broken quoting")) == [15]
    assert reasons["coordinates are not numbers"] == [16]
    text = "\n".join(report.summary())
    assert "skipped 1 rows: Month is not 2024-01 as the file name says (line 12)" in text
    assert StreetCrime.objects.count() == 100


def test_a_file_with_more_bad_rows_than_good_is_refused(world: World, tmp_path: Path) -> None:
    source = _lines(street_file("2024-01", "city-of-london", shoplifting_only=True))
    renamed = tmp_path / "2024-01-kent-street-shoplifting-only.csv"  # City of London rows, named for Kent
    renamed.write_text("".join(source[:30]), encoding="utf-8")
    report = police_uk_file_import(viewer=CLI, path=renamed)
    assert report.status == FileStatus.FAILED
    assert "Nothing imported" in report.reason
    assert report.skipped["Falls within is not 'Kent Police'"].count == 29
    assert _snapshot()[:3] == (0, 0, 0)


def test_quirks_are_counted_as_the_files_hold_them(world: World) -> None:
    tv = DATA / "outcomes/2022-01/2022-01-thames-valley-street.csv"
    btp = street_file("2024-01", "btp", shoplifting_only=True)
    sussex = street_file("2024-01", "sussex")
    result = run_import(tv, btp, sussex)
    assert not result.failed, result.output
    for path in (tv, btp, sussex):
        rows = read_rows(path)
        ids = Counter(r["Crime ID"] for r in rows if r["Crime ID"])
        expected = {
            "no_crime_id": sum(1 for r in rows if not r["Crime ID"]),
            "no_coordinates": sum(1 for r in rows if not r["Longitude"] or not r["Latitude"]),
            "repeated_crime_id": sum(n - 1 for n in ids.values()),
            "no_last_outcome": sum(1 for r in rows if not r["Last outcome category"]),
        }
        stored = ImportedFile.objects.get(file_name=path.name).quirks
        assert {k: stored.get(k, 0) for k in expected} == expected, path.name
        assert ImportedFile.objects.get(file_name=path.name).rows == len(rows)  # repeats are kept
    assert ImportedFile.objects.get(file_name=btp.name).quirks["btp_without_outcome"] == len(read_rows(btp))
    assert ImportedFile.objects.get(file_name=tv.name).quirks["repeated_crime_id"] > 0
    assert ImportedFile.objects.get(file_name=sussex.name).quirks["area_outside_force"] > 0
    assert "rows repeating a Crime ID already seen in this file (kept)" in result.output
    assert "British Transport Police rows without an outcome" in result.output
    assert "in an LSOA outside the force's area" in result.output
    assert AuditEvent.objects.filter(object_type="police_uk_file").count() == 3


def test_outcomes_join_to_street_rows_by_crime_id(world: World) -> None:
    folder = DATA / "outcomes/2022-01"
    street_path, outcomes_path = (
        folder / "2022-01-thames-valley-street.csv",
        folder / "2022-01-thames-valley-outcomes.csv",
    )
    result = run_import(folder)
    assert not result.failed, result.output
    assert CrimeOutcome.objects.count() == len(read_rows(outcomes_path))

    # Independently: the last outcome row per Crime ID (one outcomes month here, so the later row wins).
    latest: dict[str, str] = {}
    for row in read_rows(outcomes_path):
        latest[row["Crime ID"]] = row["Outcome type"]
    street_ids = [r["Crime ID"] for r in read_rows(street_path) if r["Crime ID"]]
    joined = [cid for cid in street_ids if cid in latest]
    expected_by_outcome = Counter(latest[cid] for cid in joined)

    viewer = world.viewer("analyst_sussex")
    summary = outcome_join_summary(viewer=viewer, force="thames-valley", month=_month("2022-01"))
    assert summary is not None
    assert summary.street_rows == len(read_rows(street_path))
    assert summary.with_crime_id == len(street_ids)
    assert summary.joined == len(joined) > 5000
    assert summary.by_outcome == dict(sorted(expected_by_outcome.items()))

    by_id = latest_outcomes(viewer=viewer, force="thames-valley", month=_month("2022-01"))
    assert {cid: o.outcome for cid, o in by_id.items()} == {cid: latest[cid] for cid in set(joined)}
    # A street row "Awaiting court outcome" whose outcomes-file row says the suspect was charged.
    awaiting = [
        r["Crime ID"]
        for r in read_rows(street_path)
        if r["Last outcome category"] == "Awaiting court outcome"
    ]
    assert any(by_id[cid].outcome == "Suspect charged" for cid in awaiting if cid in by_id)

    with pytest.raises(NotEntitled):
        outcome_join_summary(viewer=world.viewer("reporter"), force="thames-valley", month=_month("2022-01"))


def test_a_shoplifting_only_extract_does_not_replace_a_full_file(world: World, tmp_path: Path) -> None:
    source = _lines(street_file("2024-01", "sussex"))
    full = tmp_path / "2024-01-sussex-street.csv"
    full.write_text("".join(source[:400]), encoding="utf-8")
    extract = tmp_path / "2024-01-sussex-street-shoplifting-only.csv"
    extract.write_text(
        "".join([source[0], *[r for r in source[1:400] if ",Shoplifting," in r]]), encoding="utf-8"
    )
    assert not run_import(full).failed
    result = run_import(extract)
    assert not result.failed
    assert "SKIPPED" in result.output
    assert "would drop rows" in result.output
    assert StreetCrime.objects.count() == 399


def test_only_a_platform_admin_or_the_command_line_may_import(world: World) -> None:
    path = street_file("2024-01", "city-of-london", shoplifting_only=True)
    with pytest.raises(NotEntitled):
        police_uk_file_import(viewer=world.viewer("police_sussex"), path=path)
    assert police_uk_file_import(viewer=world.viewer("admin"), path=path).status == FileStatus.IMPORTED

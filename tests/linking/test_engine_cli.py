"""`shopwatch link evaluate INPUT.csv --out PAIRS.csv`, exactly per the pinned contract."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shopwatch.linking.engine.clusters import PairwiseScores, cluster_pairwise_scores, connected_components
from tests.linking.test_engine import fake_1000, febrl4_sample

HEADER = ["record_id", "first_name", "surname", "date_of_birth", "postcode", "town", "source"]


def write_input(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def evaluate(tmp_path: Path, source: Path) -> list[dict[str, str]]:
    out = tmp_path / "pairs.csv"
    stdout = StringIO()
    call_command("link_evaluate", str(source), "--out", str(out), stdout=stdout)
    assert "pairs scored" in stdout.getvalue()
    with out.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["record_id_l", "record_id_r", "match_probability"]
        return list(reader)


def cluster_scores(ids: list[str], rows: list[dict[str, str]], truth: dict[str, str]) -> PairwiseScores:
    links = [(r["record_id_l"], r["record_id_r"]) for r in rows if float(r["match_probability"]) >= 0.5]
    return cluster_pairwise_scores(connected_components(ids, links), truth)


def test_fake_1000_through_the_contract(tmp_path: Path) -> None:
    records, truth = fake_1000()
    source = write_input(
        tmp_path / "people.csv",
        [[r.record_id, r.first_name, r.surname, r.date_of_birth, "", r.town, r.source] for r in records],
    )
    rows = evaluate(tmp_path, source)
    ids = {r.record_id for r in records}
    assert rows
    for row in rows:
        assert row["record_id_l"] in ids
        assert row["record_id_r"] in ids
        assert row["record_id_l"] != row["record_id_r"]
        assert 0 <= float(row["match_probability"]) <= 1
    assert len({(r["record_id_l"], r["record_id_r"]) for r in rows}) == len(rows)
    assert cluster_scores(sorted(ids), rows, truth).f1 >= 0.75


def test_febrl_sample_through_the_contract(tmp_path: Path) -> None:
    records, truth = febrl4_sample(120)
    source = write_input(
        tmp_path / "febrl.csv",
        [
            [r.record_id, r.first_name, r.surname, r.date_of_birth, r.postcode, r.town, r.source]
            for r in records
        ],
    )
    scores = cluster_scores([r.record_id for r in records], evaluate(tmp_path, source), truth)
    assert scores.precision >= 0.95
    assert scores.recall >= 0.85


def test_tiny_files_and_blank_columns(tmp_path: Path) -> None:
    assert evaluate(tmp_path, write_input(tmp_path / "empty.csv", [])) == []
    assert evaluate(tmp_path, write_input(tmp_path / "one.csv", [["1", "Ann", "Lee", "", "", "", ""]])) == []
    three = write_input(
        tmp_path / "three.csv",
        [
            ["a", "Robert", "Jones", "1980-02-03", "BN1 1AA", "Brighton", "retailer-1"],
            ["b", "Bob", "Jones", "1980-02-03", "BN11AA", "Brighton", "retailer-2"],
            ["c", "Mary", "Smith", "1975-09-30", "OX1 2JD", "Oxford", "police"],
        ],
    )
    rows = evaluate(tmp_path, three)
    assert [(r["record_id_l"], r["record_id_r"]) for r in rows if float(r["match_probability"]) >= 0.5] == [
        ("a", "b")
    ]
    # Only record_id in the header: every other field is blank, nothing can link.
    ids_only = write_input(tmp_path / "ids.csv", [[str(i)] for i in range(50)], header=["record_id"])
    assert evaluate(tmp_path, ids_only) == []


def test_duplicate_ids_and_missing_record_id_are_refused(tmp_path: Path) -> None:
    duplicated = write_input(
        tmp_path / "dup.csv", [["7", "Ann", "Lee", "", "", "", ""], ["7", "Anne", "Lee", "", "", "", ""]]
    )
    with pytest.raises(CommandError, match=r"line 3: record_id '7' repeats line 2"):
        call_command("link_evaluate", str(duplicated), "--out", str(tmp_path / "out.csv"))
    no_id = write_input(tmp_path / "noid.csv", [["Ann", "Lee"]], header=["first_name", "surname"])
    with pytest.raises(CommandError, match="no record_id column"):
        call_command("link_evaluate", str(no_id), "--out", str(tmp_path / "out.csv"))
    blank_id = write_input(tmp_path / "blankid.csv", [["", "Ann", "Lee", "", "", "", ""]])
    with pytest.raises(CommandError, match="line 2: record_id is blank"):
        call_command("link_evaluate", str(blank_id), "--out", str(tmp_path / "out.csv"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("link_evaluate", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()

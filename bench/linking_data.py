"""Benchmark inputs for the linkage engine, read in place from the shared data and mapped to the contract's
columns.

FEBRL4 (``febrl/dataset4a.csv`` + ``dataset4b.csv`` as one file): given_name, surname, date_of_birth
(YYYYMMDD), postcode, suburb; truth from the ``rec-N`` part of ``rec_id``. Splink's ``fake_20000``:
first_name, surname, dob, city (this copy has no postcode column, so postcode stays blank); truth ``group``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shopwatch.linking.engine import PersonRecord  # noqa: E402
from tests.shared_data import DATA  # noqa: E402

LINKAGE = DATA / "linkage"


def _febrl_date(value: str) -> str:
    value = value.strip()
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def febrl4() -> tuple[list[PersonRecord], dict[str, str]]:
    records: list[PersonRecord] = []
    truth: dict[str, str] = {}
    for part in ("a", "b"):
        path = LINKAGE / "febrl" / f"dataset4{part}.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, skipinitialspace=True):
                rid = row["rec_id"].strip()
                records.append(
                    PersonRecord(
                        record_id=rid,
                        first_name=row["given_name"].strip(),
                        surname=row["surname"].strip(),
                        date_of_birth=_febrl_date(row["date_of_birth"]),
                        postcode=row["postcode"].strip(),
                        town=row["suburb"].strip(),
                        source=f"febrl4{part}",
                    )
                )
                truth[rid] = rid.split("-")[1]
    return records, truth


def splink_fake(size: int = 20000) -> tuple[list[PersonRecord], dict[str, str]]:
    path = LINKAGE / "splink" / f"fake_{size}_from_splink_demos.csv"
    records: list[PersonRecord] = []
    truth: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rid = row["unique_id"]
            records.append(
                PersonRecord(
                    record_id=rid,
                    first_name=row["first_name"] or "",
                    surname=row["surname"] or "",
                    date_of_birth=row["dob"] or "",
                    postcode=row.get("postcode_fake") or "",
                    town=row["city"] or "",
                    source="",
                )
            )
            truth[rid] = row.get("group") or row.get("cluster") or ""
    return records, truth


def write_contract_csv(records: list[PersonRecord], path: Path) -> None:
    """Write records as the input file of `shopwatch link evaluate`."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "first_name", "surname", "date_of_birth", "postcode", "town", "source"])
        for r in records:
            writer.writerow(
                [r.record_id, r.first_name, r.surname, r.date_of_birth, r.postcode, r.town, r.source]
            )

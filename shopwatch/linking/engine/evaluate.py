"""The pinned CSV contract of ``shopwatch link evaluate``: person records in, scored pairs out."""

from __future__ import annotations

import csv
from pathlib import Path

from shopwatch.linking.engine.model import LinkModel, train_model
from shopwatch.linking.engine.records import PersonRecord
from shopwatch.linking.engine.scoring import PairsWritten, score_all_to_csv

INPUT_COLUMNS = ("record_id", "first_name", "surname", "date_of_birth", "postcode", "town", "source")
OUTPUT_COLUMNS = ("record_id_l", "record_id_r", "match_probability")


class InputError(ValueError):
    """The input file does not follow the contract; the message says where."""


def read_records(path: Path) -> list[PersonRecord]:
    """Read person records: ``record_id`` is required and unique, any other column may be blank or absent."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [(name or "").strip() for name in (reader.fieldnames or [])]
        if "record_id" not in header:
            raise InputError(
                f"{path}: the header has no record_id column (expected {', '.join(INPUT_COLUMNS)})."
            )
        reader.fieldnames = header
        records: list[PersonRecord] = []
        seen: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            values = {name: (row.get(name) or "").strip() for name in INPUT_COLUMNS}
            record_id = values["record_id"]
            if not record_id:
                raise InputError(f"{path}, line {line}: record_id is blank.")
            if record_id in seen:
                raise InputError(
                    f"{path}, line {line}: record_id {record_id!r} repeats line {seen[record_id]}; "
                    "each record_id must be unique."
                )
            seen[record_id] = line
            records.append(PersonRecord(**values))
    return records


def evaluate_file(input_path: Path, output_path: Path) -> tuple[LinkModel, PairsWritten]:
    """Train on the file itself, score it, and write every scored pair (all proposals included)."""
    records = read_records(input_path)
    model = train_model(records)
    return model, score_all_to_csv(records, model, output_path)

"""Person records as the engine sees them, and their normalisation into the columns Splink compares.

Normalisation is plain data preparation (no scoring happens here): names lower-cased and stripped of
anything but letters, spaces and hyphens; forenames mapped to their formal forms through the shipped nickname
table; dates of birth kept as ``YYYY-MM-DD`` (or a partial ``YYYY`` / ``YYYY-MM`` prefix when only that
much is known); postcodes upper-cased without spaces, with their outward part (district) beside them; towns
lower-cased.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

NICKNAMES_FILE = Path(__file__).resolve().parent / "data" / "nicknames.csv"


@dataclass(frozen=True)
class PersonRecord:
    """One person record held by one organisation (``source``). Every field but ``record_id`` may be blank."""

    record_id: str
    first_name: str = ""
    surname: str = ""
    date_of_birth: str = ""  # YYYY-MM-DD, a partial YYYY or YYYY-MM, or ""
    postcode: str = ""
    town: str = ""
    source: str = ""


@dataclass(frozen=True)
class FieldWeight:
    """How one compared field (or the ``prior``) moved a pair's match weight, in bits (log2 Bayes factor)."""

    field: str
    comparison: str
    match_weight: float


@dataclass(frozen=True)
class ScoredPair:
    """A scored pair of records: probability, total match weight, and the explanation field by field."""

    record_id_l: str
    record_id_r: str
    match_probability: float
    match_weight: float
    explanation: tuple[FieldWeight, ...]


_NOT_NAME = re.compile(r"[^a-z\- ]+")
_SPACES = re.compile(r"[\s\-]+")
_DATE = re.compile(r"^\s*(\d{4})(?:[-/.]?(\d{1,2})(?:[-/.]?(\d{1,2}))?)?\s*$")
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")
_NOT_POSTCODE = re.compile(r"[^A-Z0-9]+")


def _ascii_lower(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1 << 16)
def clean_name(value: str) -> str | None:
    """``"  O'Brien-Smith "`` -> ``"obrien smith"``; None when nothing of a name is left."""
    text = _NOT_NAME.sub("", _ascii_lower(value).replace("'", ""))
    text = _SPACES.sub(" ", text).strip()
    return text or None


@lru_cache(maxsize=1 << 16)
def clean_date_of_birth(value: str) -> str | None:
    """A full ``YYYY-MM-DD`` when the date is plausible, else its plausible prefix (``YYYY-MM``, ``YYYY``)."""
    match = _DATE.match(value or "")
    if match is None:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    if not 1850 <= int(year) <= 2100:
        return None
    if month is None or not 1 <= int(month) <= 12:
        return year
    if day is None or not 1 <= int(day) <= 31:
        return f"{year}-{int(month):02d}"
    return f"{year}-{int(month):02d}-{int(day):02d}"


@lru_cache(maxsize=1 << 16)
def _as_date(dob: str | None) -> dt.date | None:
    """The full date, when the cleaned date of birth is a real calendar date."""
    if dob is None or len(dob) != 10:
        return None
    try:
        return dt.date.fromisoformat(dob)
    except ValueError:
        return None


@lru_cache(maxsize=1 << 18)
def clean_postcode(value: str) -> tuple[str | None, str | None]:
    """The postcode without spaces, upper-cased, and its district (the UK outward code, else all but the last
    character)."""
    text = _NOT_POSTCODE.sub("", (value or "").upper())
    if not text:
        return None, None
    uk = _UK_POSTCODE.match(text)
    if uk is not None:
        return text, uk.group(1)
    return text, (text[:-1] or None)


@lru_cache(maxsize=1 << 16)
def clean_town(value: str) -> str | None:
    text = _SPACES.sub(" ", re.sub(r"[^a-z0-9\- ]+", "", _ascii_lower(value))).strip()
    return text or None


@cache
def nickname_forms() -> dict[str, tuple[str, ...]]:
    """nickname -> the formal forenames it stands for, from the shipped table."""
    forms: dict[str, list[str]] = {}
    with NICKNAMES_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            forms.setdefault(row["nickname"].strip(), []).append(row["name"].strip())
    return {nick: tuple(sorted(set(names))) for nick, names in forms.items()}


@lru_cache(maxsize=1 << 16)
def forename_forms(first_name: str | None) -> tuple[str, ...] | None:
    """The formal forms of a forename: itself, plus whatever it is a nickname of."""
    if first_name is None:
        return None
    first = first_name.split(" ")[0]
    return tuple(sorted({first, *nickname_forms().get(first, ())}))


PREPARED_SCHEMA = pa.schema(
    [
        ("unique_id", pa.string()),
        ("source", pa.string()),
        ("first_name", pa.string()),
        ("surname", pa.string()),
        ("forename_forms", pa.list_(pa.string())),
        ("date_of_birth", pa.string()),
        ("date_of_birth_date", pa.date32()),
        ("postcode", pa.string()),
        ("postcode_district", pa.string()),
        ("town", pa.string()),
    ]
)


def prepare(records: Any) -> pa.Table:
    """Normalise person records into the Arrow table Splink reads (one row per record)."""
    columns: dict[str, list[Any]] = {name: [] for name in PREPARED_SCHEMA.names}
    for record in records:
        first = clean_name(record.first_name)
        postcode, district = clean_postcode(record.postcode)
        columns["unique_id"].append(record.record_id)
        columns["source"].append(record.source or None)
        columns["first_name"].append(first)
        columns["surname"].append(clean_name(record.surname))
        columns["forename_forms"].append(forename_forms(first))
        dob = clean_date_of_birth(record.date_of_birth)
        columns["date_of_birth"].append(dob)
        columns["date_of_birth_date"].append(_as_date(dob))
        columns["postcode"].append(postcode)
        columns["postcode_district"].append(district)
        columns["town"].append(clean_town(record.town))
    return pa.table(columns, schema=PREPARED_SCHEMA)

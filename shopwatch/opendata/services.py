"""Importing data.police.uk street-level and outcomes files.

Each file is imported in one transaction: it lands whole or not at all. Files are streamed row by row and
stored in batches, so a file of millions of rows never sits in memory. Every file is recorded by its SHA-256
and by (force, month, kind): the same content again is skipped, a different file for the same force, month
and kind replaces the earlier one in the same transaction. Known quirks of the published data are counted,
not refused; rows that cannot be read are skipped and reported with their line numbers; a file that is
truncated, from another source, or named for an unknown force is refused whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditAction

from .forces import DISTRICT_FORCE, FORCES, NATIONAL_FORCES, Force, district_of
from .models import (
    Coverage,
    CrimeCount,
    CrimeOutcome,
    CrimeType,
    FileKind,
    ImportedFile,
    Lsoa,
    OutcomeCategory,
    StreetCrime,
)

STREET_HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
OUTCOMES_HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
]
HEADERS = {FileKind.STREET: STREET_HEADER, FileKind.OUTCOMES: OUTCOMES_HEADER}

FILE_NAME_RE = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9]+(?:-[a-z0-9]+)*?)-"
    r"(?P<kind>street(?P<shoplifting>-shoplifting-only)?|outcomes)\.csv$"
)
FILE_NAME_HELP = (
    "expected YYYY-MM-<force>-street.csv, YYYY-MM-<force>-street-shoplifting-only.csv "
    "or YYYY-MM-<force>-outcomes.csv as data.police.uk names them"
)

BATCH_SIZE = 5000
SAMPLE_LINES = 5
MAX_CRIME_ID = 64
MAX_LOCATION = 255
MAX_LSOA_CODE = 12
MAX_LSOA_NAME = 120
MAX_CONTEXT = 500
MAX_CATEGORY = 100

# Quirks of the published data: counted and reported, never refused.
QUIRK_LABELS = {
    "no_crime_id": "without a Crime ID (published so for anti-social behaviour and British Transport Police)",
    "repeated_crime_id": "repeating a Crime ID already seen in this file (kept)",
    "no_coordinates": "without coordinates",
    "no_lsoa": "without an LSOA (no location)",
    "area_outside_force": "in an LSOA outside the force's area",
    "area_not_recognised": "in an LSOA whose district is not in ShopWatch's force table",
    "no_last_outcome": "without a last outcome category",
    "btp_without_outcome": "British Transport Police rows without an outcome",
}


class FileStatus(StrEnum):
    IMPORTED = "imported"
    REPLACED = "replaced"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class SkipTally:
    count: int = 0
    lines: list[int] = field(default_factory=list)

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < SAMPLE_LINES:
            self.lines.append(line)


@dataclass
class FileReport:
    """What happened to one file, for the person running the import."""

    path: Path
    status: FileStatus = FileStatus.FAILED
    reason: str = ""
    force: str = ""
    month: str = ""
    kind: str = ""
    coverage: str = ""
    sha256: str = ""
    rows: int = 0
    quirks: Counter[str] = field(default_factory=Counter)
    skipped: dict[str, SkipTally] = field(default_factory=dict)
    file_id: int | None = None
    replaced_file_id: int | None = None

    @property
    def skipped_rows(self) -> int:
        return sum(t.count for t in self.skipped.values())

    def skip(self, reason: str, line: int) -> None:
        self.skipped.setdefault(reason, SkipTally()).add(line)

    def summary(self) -> list[str]:
        what = f"{self.force} {self.month} {self.kind}" if self.force else ""
        if self.kind == FileKind.STREET and self.coverage:
            what += (
                " (shoplifting rows only)" if self.coverage == Coverage.SHOPLIFTING else " (every crime type)"
            )
        head = f"{self.status.value.upper():9} {self.path.name}"
        if what:
            head += f"  {what}"
        if self.status in (FileStatus.IMPORTED, FileStatus.REPLACED):
            head += f": {self.rows:,} rows stored"
            if self.status == FileStatus.REPLACED:
                head += f", replacing file #{self.replaced_file_id}"
        lines = [head]
        if self.reason:
            lines.append(f"  {self.reason}")
        for key, label in QUIRK_LABELS.items():
            if self.quirks.get(key):
                lines.append(f"  quirk: {self.quirks[key]:,} rows {label}")
        for reason, tally in self.skipped.items():
            at = ", ".join(str(n) for n in tally.lines) + (", ..." if tally.count > len(tally.lines) else "")
            lines.append(f"  skipped {tally.count:,} rows: {reason} (line {at})")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "status": self.status.value,
            "reason": self.reason,
            "force": self.force,
            "month": self.month,
            "kind": self.kind,
            "coverage": self.coverage,
            "sha256": self.sha256,
            "rows": self.rows,
            "quirks": dict(self.quirks),
            "skipped": {r: {"count": t.count, "lines": t.lines} for r, t in self.skipped.items()},
        }


class ImportRejected(Exception):
    """The whole file is refused; the transaction rolls back and nothing of it is kept."""


class _Skip(Exception):
    """One row is skipped, for the reason given."""


@dataclass(frozen=True)
class ParsedName:
    force: Force
    month: dt.date
    kind: FileKind
    coverage: Coverage


def parse_file_name(name: str) -> ParsedName:
    m = FILE_NAME_RE.match(name)
    if m is None:
        raise ImportRejected(f"File name '{name}' is not a data.police.uk file name: {FILE_NAME_HELP}.")
    try:
        month = dt.date.fromisoformat(m["month"] + "-01")
    except ValueError as exc:
        raise ImportRejected(
            f"File name '{name}' has no valid month: '{m['month']}' is not YYYY-MM."
        ) from exc
    force = FORCES.get(m["force"])
    if force is None:
        raise ImportRejected(
            f"Unknown force '{m['force']}' in file name '{name}': not one of the 44 data.police.uk "
            "force slugs."
        )
    kind = FileKind.OUTCOMES if m["kind"] == "outcomes" else FileKind.STREET
    coverage = Coverage.SHOPLIFTING if m["shoplifting"] else Coverage.ALL
    return ParsedName(force=force, month=month, kind=kind, coverage=coverage)


def police_uk_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileReport]]:
    """The CSV files named, directories recursed in name order; a report for each path that is missing."""
    files: list[Path] = []
    missing: list[FileReport] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.csv") if q.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(FileReport(path=p, reason="No such file or directory."))
    return files, missing


def police_uk_import(*, viewer: Viewer, paths: Iterable[str | Path]) -> list[FileReport]:
    """Import every data.police.uk file under ``paths``, each in its own transaction."""
    require(viewer, Action.IMPORT_OPEN_DATA)
    files, reports = police_uk_paths(paths)
    for path in files:
        reports.append(police_uk_file_import(viewer=viewer, path=path))
    return reports


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def police_uk_file_import(*, viewer: Viewer, path: Path) -> FileReport:
    """Import one file: all of it in one transaction, or nothing."""
    require(viewer, Action.IMPORT_OPEN_DATA)
    report = FileReport(path=path)
    try:
        parsed = parse_file_name(path.name)
        report.force = parsed.force.slug
        report.month = parsed.month.strftime("%Y-%m")
        report.kind = parsed.kind.value
        report.coverage = parsed.coverage.value
        report.sha256 = _sha256(path)
        _import_file(viewer=viewer, path=path, parsed=parsed, report=report)
    except ImportRejected as exc:
        report.status = FileStatus.FAILED
        report.reason = f"Nothing imported: {exc}"
    except OSError as exc:
        report.status = FileStatus.FAILED
        report.reason = f"Nothing imported: the file could not be read ({exc.strerror or exc})."
    except IntegrityError as exc:
        report.status = FileStatus.FAILED
        report.reason = f"Nothing imported: another import of this force, month and kind ran at once ({exc})."
    if report.status == FileStatus.FAILED:
        # Nothing was kept, so counts from the part that was read would mislead; the skipped rows stay,
        # as they may be the reason.
        report.rows = 0
        report.file_id = None
        report.quirks.clear()
    return report


@transaction.atomic
def _import_file(*, viewer: Viewer, path: Path, parsed: ParsedName, report: FileReport) -> None:
    current = (
        ImportedFile.objects.select_for_update()
        .filter(force=parsed.force.slug, month=parsed.month, kind=parsed.kind, superseded_at__isnull=True)
        .first()
    )
    same = ImportedFile.objects.filter(sha256=report.sha256, superseded_at__isnull=True).first()
    if same is not None:
        report.status = FileStatus.SKIPPED
        report.file_id = same.pk
        report.rows = same.rows
        report.reason = (
            f"Already imported: same content (SHA-256) as '{same.file_name}', file #{same.pk}, "
            f"imported {timezone.localtime(same.imported_at):%Y-%m-%d %H:%M}. Nothing changed."
        )
        return
    if current is not None and current.coverage == Coverage.ALL and parsed.coverage == Coverage.SHOPLIFTING:
        report.status = FileStatus.SKIPPED
        report.file_id = current.pk
        report.reason = (
            f"Not imported: the full street file '{current.file_name}' (every crime type) is already "
            "imported for this force and month; a shoplifting-only extract would drop rows."
        )
        return

    now = timezone.now()
    if current is not None:
        # These models have no dependants or delete signals, so each delete is one DELETE statement.
        StreetCrime.objects.filter(file=current).delete()
        CrimeOutcome.objects.filter(file=current).delete()
        CrimeCount.objects.filter(file=current).delete()
        current.superseded_at = now
        current.save(update_fields=["superseded_at"])

    imported = ImportedFile.objects.create(
        force=parsed.force.slug,
        month=parsed.month,
        kind=parsed.kind,
        coverage=parsed.coverage,
        sha256=report.sha256,
        file_name=path.name[:255],
        size_bytes=path.stat().st_size,
        imported_at=now,
        imported_by_id=viewer.user_id,
    )
    loader = _Loader(parsed=parsed, file_id=imported.pk, report=report)
    loader.load(path)

    imported.rows = report.rows
    imported.skipped_rows = report.skipped_rows
    imported.quirks = dict(report.quirks)
    imported.skipped = {r: {"count": t.count, "lines": t.lines} for r, t in report.skipped.items()}
    imported.save(update_fields=["rows", "skipped_rows", "quirks", "skipped"])
    if current is not None:
        current.superseded_by = imported
        current.save(update_fields=["superseded_by"])
        report.replaced_file_id = current.pk
    report.file_id = imported.pk
    report.status = FileStatus.REPLACED if current is not None else FileStatus.IMPORTED
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="police_uk_file",
        object_id=imported.pk,
        summary=f"Imported {path.name}: {report.rows} rows",
        detail={
            "file": path.name,
            "sha256": report.sha256,
            "force": parsed.force.slug,
            "month": report.month,
            "kind": parsed.kind.value,
            "rows": report.rows,
            "skipped_rows": report.skipped_rows,
            "replaced_file": report.replaced_file_id,
        },
    )


def _float(text: str, low: float, high: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise _Skip("coordinates are not numbers") from exc
    if not math.isfinite(value) or not low <= value <= high:
        raise _Skip("coordinates are out of range")
    return value


class _Loader:
    """Streams one file's rows into batches, counting quirks and the rollup as it goes."""

    def __init__(self, *, parsed: ParsedName, file_id: int, report: FileReport) -> None:
        self.parsed = parsed
        self.force = parsed.force
        self.national = parsed.force.slug in NATIONAL_FORCES
        self.month_text = parsed.month.strftime("%Y-%m")
        self.file_id = file_id
        self.report = report
        self.crime_types: dict[str, int] = dict(CrimeType.objects.values_list("name", "id"))
        self.outcomes: dict[str, int] = dict(OutcomeCategory.objects.values_list("name", "id"))
        self.known_lsoas: set[str] = set(Lsoa.objects.values_list("code", flat=True))
        self.new_lsoas: dict[str, str] = {}
        self.seen_ids: set[int] = set()
        self.rollup: Counter[tuple[int, int | None]] = Counter()
        self.batch: list[tuple[Any, ...]] = []
        model = StreetCrime if parsed.kind == FileKind.STREET else CrimeOutcome
        columns = STREET_COLUMNS if parsed.kind == FileKind.STREET else OUTCOME_COLUMNS
        self.insert_sql = _insert_sql(model, columns)
        self.copy_sql = _copy_sql(model, columns)

    # --- lookups ------------------------------------------------------------------------------
    def _crime_type(self, name: str) -> int:
        if name not in self.crime_types:
            self.crime_types[name] = CrimeType.objects.get_or_create(name=name)[0].pk
        return self.crime_types[name]

    def _outcome(self, name: str) -> int:
        if name not in self.outcomes:
            self.outcomes[name] = OutcomeCategory.objects.get_or_create(name=name)[0].pk
        return self.outcomes[name]

    # --- reading ------------------------------------------------------------------------------
    def _rows(self, path: Path) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) for each data row; header and truncation are checked here."""
        expected = HEADERS[self.parsed.kind]
        with path.open("rb") as fh:
            ends_with_line_break = _ends_with_line_break(fh)
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
            reader = csv.reader(text, strict=True)
            try:
                header = next(reader)
            except StopIteration as exc:
                raise ImportRejected("the file is empty (no header row).") from exc
            except csv.Error as exc:
                raise ImportRejected(f"the header row cannot be read as CSV ({exc}).") from exc
            except UnicodeDecodeError as exc:
                raise ImportRejected("the file is not UTF-8 text (its header cannot be decoded).") from exc
            header = [h.strip() for h in header]
            if header != expected:
                other = next((k for k, h in HEADERS.items() if h == header and k != self.parsed.kind), None)
                if other is not None:
                    raise ImportRejected(
                        f"the name says a {self.parsed.kind.value} file but its columns are those of a "
                        f"{other.value} file."
                    )
                raise ImportRejected(
                    "wrong header: this is not a data.police.uk "
                    f"{'street-level' if self.parsed.kind == FileKind.STREET else 'outcomes'} file. "
                    f"Expected columns: {', '.join(expected)}. Found: {', '.join(header)[:300]}."
                )
            width = len(expected)
            pending: tuple[int, str] | None = None  # a bad last record may mean the file was cut short
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except UnicodeDecodeError as exc:
                    raise ImportRejected(
                        f"the file is not UTF-8 text: undecodable bytes after line {reader.line_num}."
                    ) from exc
                except csv.Error as exc:
                    if "unexpected end of data" in str(exc):
                        raise ImportRejected(
                            f"a quoted field opened on line {start} is never closed: the file is truncated "
                            "or its quoting is broken, so the rest of it cannot be read."
                        ) from exc
                    if pending is not None:
                        self.report.skip(pending[1], pending[0])
                    pending = (start, f"broken quoting ({exc})")
                    continue
                if pending is not None:
                    self.report.skip(pending[1], pending[0])
                    pending = None
                if len(row) != width:
                    if row == [] or row == [""]:
                        continue  # a blank line
                    pending = (start, f"wrong number of columns (expected {width})")
                    continue
                yield start, row
            if pending is not None:
                if not ends_with_line_break:
                    raise ImportRejected(
                        f"the file is truncated: its last line ({pending[0]}) is incomplete "
                        f"({pending[1]}) and the file does not end with a line break."
                    )
                self.report.skip(pending[1], pending[0])

    def load(self, path: Path) -> None:
        street = self.parsed.kind == FileKind.STREET
        rows_seen = 0
        for line, row in self._rows(path):
            rows_seen += 1
            try:
                obj = self._street(row) if street else self._outcome_row(row)
            except _Skip as skip:
                self.report.skip(str(skip), line)
                continue
            self.batch.append(obj)
            self.report.rows += 1
            if len(self.batch) >= BATCH_SIZE:
                self._flush()
        self._flush()
        if (rows_seen and not self.report.rows) or self.report.skipped_rows > self.report.rows:
            raise ImportRejected(
                f"{self.report.skipped_rows:,} of {self.report.skipped_rows + self.report.rows:,} rows "
                "could not be imported; a file with more bad rows than good ones is refused whole."
            )
        if street and self.rollup:
            CrimeCount.objects.bulk_create(
                [
                    CrimeCount(
                        file_id=self.file_id,
                        force=self.force.slug,
                        month=self.parsed.month,
                        crime_type_id=ct,
                        last_outcome_id=oc,
                        count=n,
                    )
                    for (ct, oc), n in self.rollup.items()
                ],
                batch_size=BATCH_SIZE,
            )

    def _flush(self) -> None:
        if self.new_lsoas:
            Lsoa.objects.bulk_create(
                [Lsoa(code=c, name=n) for c, n in self.new_lsoas.items()], ignore_conflicts=True
            )
            self.known_lsoas.update(self.new_lsoas)
            self.new_lsoas = {}
        if not self.batch:
            return
        # The same rows bulk_create would write, without building a model instance per row (most of the
        # cost at millions of rows): PostgreSQL takes them by COPY, other databases by one prepared INSERT.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.batch:
                        copy.write_row(row)
            else:
                cursor.executemany(self.insert_sql, self.batch)
        self.batch = []

    # --- rows ---------------------------------------------------------------------------------
    def _common(self, row: list[str]) -> tuple[str, float | None, float | None, str]:
        """Checks shared by both kinds; counts the location quirks. Returns crime id, lon, lat, LSOA code."""
        crime_id, month, _reported_by, falls_within = row[0].strip(), row[1].strip(), row[2], row[3].strip()
        if month != self.month_text:
            raise _Skip(f"Month is not {self.month_text} as the file name says")
        if falls_within != self.force.name:
            raise _Skip(f"Falls within is not '{self.force.name}'")
        if len(crime_id) > MAX_CRIME_ID:
            raise _Skip(f"Crime ID is longer than {MAX_CRIME_ID} characters")
        lon = _float(row[4].strip(), -180.0, 180.0)
        lat = _float(row[5].strip(), -90.0, 90.0)
        if lon is None or lat is None:
            lon = lat = None
            self.report.quirks["no_coordinates"] += 1
        if len(row[6]) > MAX_LOCATION:
            raise _Skip(f"Location is longer than {MAX_LOCATION} characters")
        lsoa_code, lsoa_name = row[7].strip(), row[8].strip()
        if len(lsoa_code) > MAX_LSOA_CODE or len(lsoa_name) > MAX_LSOA_NAME:
            raise _Skip("LSOA code or name is too long")
        if not lsoa_code:
            self.report.quirks["no_lsoa"] += 1
        else:
            if lsoa_code not in self.known_lsoas and lsoa_code not in self.new_lsoas:
                self.new_lsoas[lsoa_code] = lsoa_name
            if not self.national:
                owner = DISTRICT_FORCE.get(district_of(lsoa_name))
                if owner is None:
                    self.report.quirks["area_not_recognised"] += 1
                elif owner != self.force.slug:
                    self.report.quirks["area_outside_force"] += 1
        if crime_id:
            # Remember 8 bytes per Crime ID (they are SHA-256 hex), not the 64-character string.
            try:
                key = int(crime_id[:16], 16)
            except ValueError:
                key = hash(crime_id)
            if key in self.seen_ids:
                self.report.quirks["repeated_crime_id"] += 1
            else:
                self.seen_ids.add(key)
        return crime_id, lon, lat, lsoa_code

    def _street(self, row: list[str]) -> tuple[Any, ...]:
        crime_type, outcome, context = row[9].strip(), row[10].strip(), row[11]
        if not crime_type:
            raise _Skip("no Crime type")
        if len(crime_type) > MAX_CATEGORY or len(outcome) > MAX_CATEGORY:
            raise _Skip(f"Crime type or Last outcome category is longer than {MAX_CATEGORY} characters")
        if len(context) > MAX_CONTEXT:
            raise _Skip(f"Context is longer than {MAX_CONTEXT} characters")
        crime_id, lon, lat, lsoa_code = self._common(row)
        if not crime_id:
            self.report.quirks["no_crime_id"] += 1
        ct = self._crime_type(crime_type)
        oc: int | None = None
        if outcome:
            oc = self._outcome(outcome)
        else:
            self.report.quirks["no_last_outcome"] += 1
            if self.national:
                self.report.quirks["btp_without_outcome"] += 1
        self.rollup[(ct, oc)] += 1
        # In the order of STREET_COLUMNS.
        return (self.file_id, crime_id, lon, lat, row[6].strip(), lsoa_code, ct, oc, context.strip())

    def _outcome_row(self, row: list[str]) -> tuple[Any, ...]:
        outcome = row[9].strip()
        if not row[0].strip():
            raise _Skip("no Crime ID, so the outcome cannot be joined to a crime")
        if not outcome:
            raise _Skip("no Outcome type")
        if len(outcome) > MAX_CATEGORY:
            raise _Skip(f"Outcome type is longer than {MAX_CATEGORY} characters")
        crime_id, _lon, _lat, lsoa_code = self._common(row)
        # In the order of OUTCOME_COLUMNS.
        return (self.file_id, crime_id, self._outcome(outcome), lsoa_code)


def _ends_with_line_break(fh: io.BufferedReader) -> bool:
    """Whether the file's last byte ends a line (a file cut off mid-row does not); leaves fh at the start."""
    fh.seek(0, io.SEEK_END)
    if fh.tell() == 0:
        return True
    fh.seek(-1, io.SEEK_END)
    last = fh.read(1)
    fh.seek(0)
    return last in (b"\n", b"\r")


STREET_COLUMNS = (
    "file",
    "crime_id",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "crime_type",
    "last_outcome",
    "context",
)
OUTCOME_COLUMNS = ("file", "crime_id", "outcome", "lsoa_code")


def _columns(model: type[models.Model], fields: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    concrete = {f.name: f.column for f in model._meta.concrete_fields}
    return ", ".join(qn(concrete[f]) for f in fields)


def _copy_sql(model: type[models.Model], fields: tuple[str, ...]) -> str:
    """COPY <table> (<columns>) FROM STDIN, for PostgreSQL. Names come from the model, never from input."""
    return f"COPY {connection.ops.quote_name(model._meta.db_table)} ({_columns(model, fields)}) FROM STDIN"


def _insert_sql(model: type[models.Model], fields: tuple[str, ...]) -> str:
    """INSERT INTO <table> (<columns>) VALUES (%s, ...) for the model's fields, quoted for this database."""
    marks = ", ".join(["%s"] * len(fields))
    # Table and column names come from the model, never from input.
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({_columns(model, fields)}) VALUES ({marks})"  # noqa: S608

"""Importing a retailer's historical incidents from a CSV back-file.

Every row goes through :func:`shopwatch.reporting.services.incident_create`, the same validation
and write path as the web form and the API, each row in its own transaction: a bad row saves
nothing and does not stop the good ones. Re-importing a file creates nothing new: a row is keyed on
the retailer and its ``external_ref``, or, when that is empty, on a hash of the row's content, which
is then kept as the incident's ``external_ref`` (``csv-`` and 32 hex digits).

Columns (header names are case-insensitive; spaces and hyphens count as underscores):

=====================  ========  ============================================================
column                 required  meaning
=====================  ========  ============================================================
store                  yes       the store's ShopWatch id, or the retailer's own store code
type                   yes       theft, violence, threats_abuse, antisocial_behaviour,
                                 criminal_damage, robbery, burglary, fraud or other
occurred_at            yes       ISO 8601 (2025-03-01T14:30:00Z, 2025-03-01 14:30) or UK
                                 day/month/year (01/03/2025 14:30); no offset means UK time
description            yes       what happened (at most 10,000 characters)
goods_value            no        total value in pounds (12.50, £1,250.00)
flags                  no        semicolon-separated: violence; weapon; staff_injured;
                                 offender_detained; hate; offender_nearby
report_to_police       no        true/false (also yes/no, y/n, 1/0); empty means false
vehicle_registration   no        a UK registration mark; several separated by semicolons
offender_description   no        a description of the offender
external_ref           no        the retailer's own incident id (at most 100 characters)
=====================  ========  ============================================================
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.csvexport import csv_writer
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Channel, Organisation, OrganisationKind, Store

from .models import Incident
from .services import IncidentInput, OffenderInput, VehicleInput, incident_create, incident_validate

REQUIRED_COLUMNS = ("store", "type", "occurred_at", "description")
OPTIONAL_COLUMNS = (
    "goods_value",
    "flags",
    "report_to_police",
    "vehicle_registration",
    "offender_description",
    "external_ref",
)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_FIELD_CHARS = 100_000
CONTENT_REF_PREFIX = "csv-"
CHUNK_ROWS = 500
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_UK_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row: the header is row 1, the first data row is row 2
    field: str
    message: str


@dataclass
class ImportReport:
    path: Path
    rows: int = 0
    created: list[tuple[int, str]] = field(default_factory=list)  # (row, incident reference)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why)
    errors: list[RowError] = field(default_factory=list)
    file_error: bool = False  # the file itself was refused and nothing was imported

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors}) if not self.file_error else 0


class ImportRefused(Exception):
    """The file as a whole cannot be imported (encoding, header, empty...)."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors))


def errors_path_for(path: Path) -> Path:
    """FILE.csv -> FILE.errors.csv, next to the file."""
    if path.suffix.lower() == ".csv":
        return path.with_name(path.stem + ".errors.csv")
    return path.with_name(path.name + ".errors.csv")


def write_error_report(report: ImportReport) -> Path | None:
    """Write FILE.errors.csv (row, field, message), or remove a stale one when there were no errors."""
    target = errors_path_for(report.path)
    if not report.errors:
        target.unlink(missing_ok=True)
        return None
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv_writer(fh)
        writer.writerow(["row", "field", "message"])
        for e in report.errors:
            writer.writerow([e.row, e.field, e.message])
    return target


def import_viewer(organisation: Organisation, *, base: Viewer | None = None) -> Viewer:
    """Who the rows are filed as: a person (``base``) or the system acting for the retailer."""
    store_ids = frozenset(
        Store.objects.filter(retailer=organisation, active=True).values_list("pk", flat=True)
    )
    if base is not None:
        return dataclasses.replace(base, channel=Channel.CSV)
    return Viewer(
        user_id=None,
        org_ids=frozenset({organisation.pk}),
        reportable_store_ids=store_ids,
        primary_org_id=organisation.pk,
        channel=Channel.CSV,
    )


# --- Reading the file ------------------------------------------------------------------------------------


def _check_encoding(path: Path, encoding: str) -> None:
    """Read the whole file once so a bad byte is reported before anything is imported."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and "16" not in encoding:
            raise ImportRefused(
                [
                    RowError(
                        1,
                        "file",
                        "The file is UTF-16 text (Excel's 'Unicode Text'). Save it as "
                        "'CSV UTF-8 (Comma delimited)' and import that.",
                    )
                ]
            )
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        lines = 0
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines + chunk[: exc.start].count(b"\n") + 1
                byte = chunk[exc.start : exc.start + 1].hex() if exc.start < len(chunk) else "??"
                raise ImportRefused(
                    [
                        RowError(
                            line,
                            "file",
                            f"Line {line} has a byte (0x{byte}) that is not valid {encoding} text. "
                            "Save the file as 'CSV UTF-8', or name its encoding with --encoding "
                            "(for example cp1252 for older Excel files).",
                        )
                    ]
                ) from exc
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                [
                    RowError(
                        lines + 1,
                        "file",
                        f"The file ends part-way through a {encoding} character; it may be truncated.",
                    )
                ]
            ) from exc


def _column_name(raw: str) -> str:
    return raw.strip().lower().replace(" ", "_").replace("-", "_")


def _header(cells: list[str], *, ignore_unknown: bool) -> dict[str, int]:
    names = [_column_name(c) for c in cells]
    if len(names) == 1 and (";" in cells[0] or "\t" in cells[0]):
        sep = "semicolons" if ";" in cells[0] else "tabs"
        raise ImportRefused(
            [RowError(1, "header", f"The columns are separated by {sep}; save the file with commas (CSV).")]
        )
    errors = []
    positions: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            if any(c.strip() for c in cells[i + 1 :]):
                errors.append(RowError(1, "header", f"Column {i + 1} has no name."))
            continue
        if name in positions:
            errors.append(RowError(1, name, f"Column '{name}' appears more than once."))
        positions.setdefault(name, i)
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        errors.append(
            RowError(
                1,
                "header",
                f"Missing required column(s): {', '.join(missing)}. The header must "
                f"name at least: {', '.join(REQUIRED_COLUMNS)}.",
            )
        )
    unknown = [n for n in positions if n not in ALL_COLUMNS]
    if unknown and not ignore_unknown:
        errors.append(
            RowError(
                1,
                "header",
                f"Unknown column(s): {', '.join(unknown)}. Known columns: "
                f"{', '.join(ALL_COLUMNS)}. Rename them, remove them, or pass "
                "--ignore-unknown-columns.",
            )
        )
    if errors:
        raise ImportRefused(errors)
    return {name: i for name, i in positions.items() if name in ALL_COLUMNS}


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    data: IncidentInput | None = None
    key: str = ""


def _rows(path: Path, encoding: str, *, ignore_unknown: bool) -> Iterator[_Row]:
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    with path.open("r", encoding=codec, newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise ImportRefused([RowError(1, "header", f"The header row cannot be read: {exc}.")]) from exc
        if header is None or not any(c.strip() for c in header):
            raise ImportRefused(
                [
                    RowError(
                        1,
                        "file",
                        "The file is empty: its first line must be a header naming "
                        f"the columns {', '.join(REQUIRED_COLUMNS)}.",
                    )
                ]
            )
        columns = _header(header, ignore_unknown=ignore_unknown)
        width = len(header)
        number = 1
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                message = str(exc)
                if "field larger than field limit" in message:
                    message = f"A value is longer than {MAX_FIELD_CHARS:,} characters."
                yield _Row(number, {}, [RowError(number, "row", f"Cannot read this row: {message}")])
                continue
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                yield _Row(
                    number,
                    {},
                    [
                        RowError(
                            number,
                            "row",
                            f"Has {len(cells)} values but the header names "
                            f"{width} columns (a comma inside a value must be "
                            "quoted).",
                        )
                    ],
                )
                continue
            values = {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()}
            yield _Row(number, values)


# --- One row -----------------------------------------------------------------------------------------------


def _when(value: str) -> dt.datetime | None:
    v = value.strip()
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(v)
    except ValueError:
        for fmt in _UK_FORMATS:
            try:
                parsed = dt.datetime.strptime(v, fmt)  # noqa: DTZ007 - made aware just below
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return parsed


def _money(value: str) -> Decimal | None:
    v = value.strip().replace("£", "").replace(",", "").strip()
    if not v:
        return None
    return Decimal(v)


def content_key(organisation: Organisation, values: dict[str, str]) -> str:
    canonical = json.dumps(
        {k: values.get(k, "").strip() for k in ALL_COLUMNS if k != "external_ref"},
        sort_keys=True,
        ensure_ascii=False,
    )
    digest = hashlib.sha256(f"{organisation.slug}\n{canonical}".encode()).hexdigest()
    return CONTENT_REF_PREFIX + digest[:32]


def _field_for(service_field: str) -> str:
    """The CSV column a service's field name belongs to."""
    if service_field.startswith("flags"):
        return "flags"
    if service_field.startswith("vehicles"):
        return "vehicle_registration"
    if service_field.startswith("offenders"):
        return "offender_description"
    if service_field == "goods":
        return "goods_value"
    return service_field


def _parse(row: _Row, organisation: Organisation, stores: dict[str, int], store_ids: set[int]) -> None:
    v = row.values
    n = row.number
    store_value = v["store"].strip()
    store_id: int | None = stores.get(store_value.lower())
    if store_id is None and store_value.isdigit() and int(store_value) in store_ids:
        store_id = int(store_value)
    if not store_value:
        row.errors.append(RowError(n, "store", "Required: the store's id or your store code."))
    elif store_id is None:
        row.errors.append(
            RowError(
                n,
                "store",
                f"'{store_value[:40]}' is not one of {organisation.name}'s stores "
                "(give its ShopWatch id or your store code).",
            )
        )
    when = _when(v["occurred_at"]) if v["occurred_at"].strip() else None
    if not v["occurred_at"].strip():
        row.errors.append(RowError(n, "occurred_at", "Required."))
    elif when is None:
        row.errors.append(
            RowError(
                n,
                "occurred_at",
                "Use a date and time like 2025-03-01T14:30:00Z or 01/03/2025 14:30 (day/month/year).",
            )
        )
    goods_value: Decimal | None = None
    try:
        goods_value = _money(v.get("goods_value", ""))
    except InvalidOperation:
        row.errors.append(RowError(n, "goods_value", "Must be a number of pounds, like 12.50."))
    police = v.get("report_to_police", "").strip().lower()
    if police not in _TRUE | _FALSE:
        row.errors.append(RowError(n, "report_to_police", "Must be true or false (or yes/no)."))
    flags = [_column_name(f) for f in v.get("flags", "").split(";") if f.strip()]
    regs = [r.strip() for r in v.get("vehicle_registration", "").split(";") if r.strip()]
    offender = v.get("offender_description", "").strip()
    external_ref = v.get("external_ref", "").strip()
    row.key = external_ref or content_key(organisation, v)
    row.data = IncidentInput(
        store_id=store_id,
        type=_column_name(v["type"]),
        occurred_at=when or timezone.now() - dt.timedelta(days=1),
        description=v["description"],
        flags=flags,
        report_to_police=police in _TRUE,
        goods_value=goods_value,
        offenders=[OffenderInput(description=offender)] if offender else [],
        vehicles=[VehicleInput(registration=r) for r in regs],
        external_ref=row.key,
    )


def _service_errors(row: _Row, errors: list[FieldError]) -> list[RowError]:
    already = {e.field for e in row.errors}
    out = []
    for e in errors:
        name = _field_for(e.field)
        if name not in already:
            out.append(RowError(row.number, name, e.message))
    return out


# --- The import ------------------------------------------------------------------------------------------


def incidents_import_csv(
    *,
    viewer: Viewer,
    organisation: Organisation,
    path: Path,
    encoding: str = "utf-8",
    ignore_unknown_columns: bool = False,
) -> ImportReport:
    """Import a retailer's back-file. Each valid row is one transaction; see the module docstring."""
    report = ImportReport(path=path)
    try:
        if organisation.kind != OrganisationKind.RETAILER:
            raise ImportRefused(
                [
                    RowError(
                        0, "org", f"'{organisation.slug}' is not a retailer; back-files belong to a retailer."
                    )
                ]
            )
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ImportRefused([RowError(0, "encoding", f"Unknown encoding '{encoding}'.")]) from exc
        if not path.is_file():
            raise ImportRefused([RowError(0, "file", f"{path} is not a file.")])
        if path.stat().st_size == 0:
            raise ImportRefused(
                [
                    RowError(
                        1,
                        "file",
                        "The file is empty: its first line must be a header naming "
                        f"the columns {', '.join(REQUIRED_COLUMNS)}.",
                    )
                ]
            )
        _check_encoding(path, encoding)
        stores: dict[str, int] = {}
        store_ids: set[int] = set()
        for pk, code in Store.objects.filter(retailer=organisation).values_list("pk", "code"):
            store_ids.add(pk)
            if code.strip():
                stores[code.strip().lower()] = pk
        seen: dict[str, int] = {}
        previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
        try:
            chunk: list[_Row] = []
            for row in _rows(path, encoding, ignore_unknown=ignore_unknown_columns):
                chunk.append(row)
                if len(chunk) >= CHUNK_ROWS:
                    _import_chunk(chunk, viewer, organisation, stores, store_ids, seen, report)
                    chunk = []
            if chunk:
                _import_chunk(chunk, viewer, organisation, stores, store_ids, seen, report)
        finally:
            csv.field_size_limit(previous_limit)
        if report.rows == 0:
            raise ImportRefused([RowError(2, "file", "The file has a header but no rows to import.")])
    except ImportRefused as exc:
        report.file_error = True
        report.errors = exc.errors
    with transaction.atomic():
        audit_record(
            viewer=viewer,
            action=AuditAction.CREATE,
            object_type="csv_import",
            organisation_id=organisation.pk,
            summary=f"{path.name}: {len(report.created)} imported, {len(report.skipped)} already there, "
            f"{report.failed_rows} refused" + (" (file refused)" if report.file_error else ""),
            detail={
                "file": path.name,
                "rows": report.rows,
                "created": len(report.created),
                "skipped": len(report.skipped),
                "refused": report.failed_rows,
                "file_error": report.file_error,
            },
        )
    return report


def _import_chunk(
    chunk: list[_Row],
    viewer: Viewer,
    organisation: Organisation,
    stores: dict[str, int],
    store_ids: set[int],
    seen: dict[str, int],
    report: ImportReport,
) -> None:
    report.rows += len(chunk)
    for row in chunk:
        if not row.errors:
            _parse(row, organisation, stores, store_ids)
    keys = [r.key for r in chunk if r.key]
    existing = dict(
        Incident.objects.filter(owner_org=organisation, external_ref__in=keys).values_list(
            "external_ref", "reference"
        )
    )
    for row in chunk:
        if row.data is None:
            report.errors += row.errors
            continue
        if row.key in seen:
            report.skipped.append((row.number, f"same as row {seen[row.key]}"))
            continue
        if row.key in existing:
            report.skipped.append((row.number, f"already imported as {existing[row.key]}"))
            continue
        if row.errors:
            try:
                incident_validate(viewer=viewer, data=row.data)
            except ValidationFailed as exc:
                row.errors += _service_errors(row, exc.errors)
            report.errors += row.errors
            continue
        try:
            incident = incident_create(viewer=viewer, data=row.data)
        except ValidationFailed as exc:
            report.errors += _service_errors(row, exc.errors)
            continue
        seen[row.key] = row.number
        existing[row.key] = incident.reference
        report.created.append((row.number, incident.reference))

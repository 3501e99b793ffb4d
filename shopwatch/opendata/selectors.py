"""Reading data.police.uk open data.

The data are public and hold no personal data, so they are not scoped record by record: every police,
analyst and PCC user (and a platform admin) may read any force; other users may not read them through
ShopWatch. The API reads only the precomputed :class:`CrimeCount` rollup, never the raw rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Sum

from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, NotEntitled
from shopwatch.core.models import Role

from .models import CrimeCount, CrimeOutcome, FileKind, ImportedFile, StreetCrime

# Street rows whose "Last outcome category" is empty (anti-social behaviour, British Transport Police)
# are counted under this key in "outcomes".
NO_OUTCOME_KEY = "No outcome recorded"


def can_read_police_uk(viewer: Viewer) -> bool:
    return viewer.platform_admin or viewer.is_police or viewer.is_pcc or viewer.has_role(Role.ANALYST)


def _require(viewer: Viewer) -> None:
    if not can_read_police_uk(viewer):
        raise NotEntitled(
            [FieldError("viewer", "data.police.uk figures are open to police, analyst and PCC users.")]
        )


@dataclass(frozen=True)
class PoliceUkMonth:
    force: str
    month: dt.date
    crime_types: dict[str, int]
    outcomes: dict[str, int]
    coverage: str


def current_file(*, force: str, month: dt.date, kind: FileKind) -> ImportedFile | None:
    return ImportedFile.objects.filter(
        force=force, month=month, kind=kind, superseded_at__isnull=True
    ).first()


def police_uk_month(*, viewer: Viewer, force: str, month: dt.date) -> PoliceUkMonth | None:
    """Counts by crime type and by last outcome category for one force and month, or None if not imported."""
    _require(viewer)
    street = current_file(force=force, month=month, kind=FileKind.STREET)
    if street is None:
        return None
    crime_types: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    rows = (
        CrimeCount.objects.filter(force=force, month=month)
        .values_list("crime_type__name", "last_outcome__name")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for crime_type, outcome, n in rows:
        crime_types[crime_type] += n
        outcomes[outcome or NO_OUTCOME_KEY] += n
    return PoliceUkMonth(
        force=force,
        month=month,
        crime_types=dict(sorted(crime_types.items())),
        outcomes=dict(sorted(outcomes.items())),
        coverage=street.coverage,
    )


@dataclass(frozen=True)
class LatestOutcome:
    outcome: str
    month: dt.date


def latest_outcomes(*, viewer: Viewer, force: str, month: dt.date) -> dict[str, LatestOutcome]:
    """For the crimes of one force and month, the latest outcome found in that force's imported outcomes
    files, by Crime ID (a later outcomes month wins; within one file, the later row)."""
    _require(viewer)
    street = current_file(force=force, month=month, kind=FileKind.STREET)
    if street is None:
        return {}
    ids = StreetCrime.objects.filter(file=street).exclude(crime_id="").values("crime_id")
    rows = (
        CrimeOutcome.objects.filter(
            file__force=force,
            file__kind=FileKind.OUTCOMES,
            file__superseded_at__isnull=True,
            crime_id__in=ids,
        )
        .values_list("crime_id", "outcome__name", "file__month")
        .order_by("file__month", "id")
    )
    return {crime_id: LatestOutcome(outcome=name, month=m) for crime_id, name, m in rows.iterator()}


@dataclass(frozen=True)
class OutcomeJoin:
    street_rows: int
    with_crime_id: int
    joined: int
    by_outcome: dict[str, int] = field(default_factory=dict)


def outcome_join_summary(*, viewer: Viewer, force: str, month: dt.date) -> OutcomeJoin | None:
    """How the street rows of a force and month join to outcomes files: rows, rows with a Crime ID,
    rows whose Crime ID has an outcome, and those rows counted by their latest outcome."""
    _require(viewer)
    street = current_file(force=force, month=month, kind=FileKind.STREET)
    if street is None:
        return None
    latest = latest_outcomes(viewer=viewer, force=force, month=month)
    by_outcome: Counter[str] = Counter()
    with_id = joined = 0
    for crime_id in (
        StreetCrime.objects.filter(file=street)
        .exclude(crime_id="")
        .values_list("crime_id", flat=True)
        .iterator()
    ):
        with_id += 1
        hit = latest.get(crime_id)
        if hit is not None:
            joined += 1
            by_outcome[hit.outcome] += 1
    return OutcomeJoin(
        street_rows=street.rows,
        with_crime_id=with_id,
        joined=joined,
        by_outcome=dict(sorted(by_outcome.items())),
    )

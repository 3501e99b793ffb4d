"""Outcome rates: crime records and outcomes by force, month or quarter, and type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Count,
    F,
    Q,
)
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone

from shopwatch.core.entitlements import Viewer

from ..models import (
    POSITIVE_OUTCOMES,
    SOLVED_OUTCOMES,
    TriageState,
)
from ..services.common import force_incidents


@dataclass
class RateRow:
    period: dt.date
    area: str
    reviewed: int
    reviewed_solved: int
    reviewed_positive: int
    unreviewed: int
    unreviewed_solved: int
    unreviewed_positive: int

    @staticmethod
    def _pct(n: int, d: int) -> float | None:
        return round(100.0 * n / d, 1) if d else None

    @property
    def total(self) -> int:
        return self.reviewed + self.unreviewed

    @property
    def solved_rate(self) -> float | None:
        return self._pct(self.reviewed_solved + self.unreviewed_solved, self.total)

    @property
    def positive_rate(self) -> float | None:
        return self._pct(self.reviewed_positive + self.unreviewed_positive, self.total)

    @property
    def reviewed_solved_rate(self) -> float | None:
        return self._pct(self.reviewed_solved, self.reviewed)

    @property
    def unreviewed_solved_rate(self) -> float | None:
        return self._pct(self.unreviewed_solved, self.unreviewed)

    @property
    def reviewed_positive_rate(self) -> float | None:
        return self._pct(self.reviewed_positive, self.reviewed)

    @property
    def unreviewed_positive_rate(self) -> float | None:
        return self._pct(self.unreviewed_positive, self.unreviewed)


AREAS = {"town": "store__town", "store": "store__name", "force": "force__name"}
PERIODS = {"month": TruncMonth, "quarter": TruncQuarter}


def outcome_rates(
    *,
    viewer: Viewer,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    period: str = "month",
    area: str = "town",
) -> list[RateRow]:
    """Solved and positive-outcome rates of incidents sent to the caller's force, by period and area,
    for incidents the business crime team reviewed (decided in the queue) against those it did not.

    The denominator is every incident sent to police in the period (by when it happened)."""
    if period not in PERIODS:
        period = "month"
    if area not in AREAS:
        area = "town"
    qs = force_incidents(viewer).order_by()
    if date_from:
        qs = qs.filter(occurred_at__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__lt=date_to)
    reviewed = Q(triage__state__in=[TriageState.ACCEPTED, TriageState.REJECTED])
    solved = Q(crime_record__outcome__in=SOLVED_OUTCOMES)
    positive = Q(crime_record__outcome__in=POSITIVE_OUTCOMES)
    rows = (
        qs.annotate(
            p=PERIODS[period]("occurred_at", tzinfo=timezone.get_current_timezone()), a=F(AREAS[area])
        )
        .values("p", "a")
        .annotate(
            rv=Count("id", filter=reviewed),
            rv_s=Count("id", filter=reviewed & solved),
            rv_p=Count("id", filter=reviewed & positive),
            un=Count("id", filter=~reviewed),
            un_s=Count("id", filter=~reviewed & solved),
            un_p=Count("id", filter=~reviewed & positive),
        )
        .order_by("p", "a")
    )
    out = []
    for r in rows:
        p = r["p"]
        out.append(
            RateRow(
                period=p.date() if isinstance(p, dt.datetime) else p,
                area=r["a"],
                reviewed=r["rv"],
                reviewed_solved=r["rv_s"],
                reviewed_positive=r["rv_p"],
                unreviewed=r["un"],
                unreviewed_solved=r["un_s"],
                unreviewed_positive=r["un_p"],
            )
        )
    return out


def rates_total(rows: list[RateRow]) -> RateRow:
    total = RateRow(
        period=dt.date.min,
        area="All",
        reviewed=0,
        reviewed_solved=0,
        reviewed_positive=0,
        unreviewed=0,
        unreviewed_solved=0,
        unreviewed_positive=0,
    )
    for r in rows:
        total.reviewed += r.reviewed
        total.reviewed_solved += r.reviewed_solved
        total.reviewed_positive += r.reviewed_positive
        total.unreviewed += r.unreviewed
        total.unreviewed_solved += r.unreviewed_solved
        total.unreviewed_positive += r.unreviewed_positive
    return total

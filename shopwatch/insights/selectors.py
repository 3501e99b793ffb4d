"""Dashboard figures, read from the rollups for one dashboard scope and period."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import h3
from django.core.cache import cache
from django.db.models import Q, Sum
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditAction, Organisation, Store
from shopwatch.reporting.models import IncidentType
from shopwatch.subjects.selectors import person_queryset

from .models import DailyRollup, HourlyRollup, OffenderRollup, RollupState, TypeRollup
from .rollups import rollup_refresh, rollups_stale
from .scopes import SUPPRESS_BELOW, DashboardScope

# A percent change is shown only against an earlier period with at least this many: "up 24,875%" on 4
# incidents says nothing about a trend (and a PCC would read it as one).
MIN_CHANGE_BASE = 10
HEX_RESOLUTION = 8  # cells about 0.7 km² : a town centre is a handful of cells
MEASURES = [
    "incidents",
    "violent",
    "value_lost",
    "rcap_attendance_due",
    "rcap_attended",
    "reviewed",
    "crime_recorded",
    "hours_to_crime_number",
    "outcomes",
    "positive_outcomes",
    "solved_reviewed",
    "solved_unreviewed",
]


@dataclass(frozen=True)
class Figure:
    """A number as shown: hidden when it is a small count on an aggregates-only dashboard."""

    value: float | None
    display: str
    suppressed: bool = False


@dataclass(frozen=True)
class Period:
    start: dt.date  # inclusive
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def months(self) -> tuple[dt.date, dt.date]:
        return self.start.replace(day=1), self.end.replace(day=1)


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=364), today)


@dataclass
class Dashboard:
    scope: DashboardScope
    period: Period
    previous: Period
    totals: dict[str, Figure]
    changes: dict[
        str, float | None
    ]  # None: no earlier figures, or fewer than MIN_CHANGE_BASE to compare with
    weekly: list[tuple[dt.date, Figure]]
    monthly: list[tuple[dt.date, Figure, Figure]]
    by_type: list[tuple[str, Figure]]
    heatmap: list[list[Figure]]  # 7 rows (Mon..Sun) x 24 hours
    top_stores: list[tuple[Store, Figure]]
    top_offenders: list[tuple[Any, Figure]]
    hexes: list[tuple[str, Figure, list[tuple[float, float]]]]
    police_comparison: list[dict[str, Any]] = field(default_factory=list)
    outcome_mix: dict[str, int] = field(default_factory=dict)
    outcome_mix_month: dt.date | None = None
    prevention: list[dict[str, Any]] = field(default_factory=list)
    change_bases: dict[str, int] = field(
        default_factory=dict
    )  # the earlier period's count behind each change


def _fmt_count(n: float | int | None, suppress: bool) -> Figure:
    if n is None:
        return Figure(None, "–")
    if suppress and 0 < n < SUPPRESS_BELOW:
        return Figure(None, f"<{SUPPRESS_BELOW}", True)
    return Figure(float(n), f"{int(n):,}")


def _fmt_money(v: Decimal | float | None, count: int, suppress: bool) -> Figure:
    if suppress and 0 < count < SUPPRESS_BELOW:
        return Figure(None, "suppressed", True)
    v = Decimal(v or 0)
    return Figure(float(v), f"£{v:,.0f}")


def _fmt_rate(num: float, den: float, suppress: bool) -> Figure:
    if den == 0:
        return Figure(None, "–")
    if suppress and (den < SUPPRESS_BELOW or 0 < num < SUPPRESS_BELOW):
        return Figure(None, "suppressed", True)
    return Figure(num / den, f"{100 * num / den:.1f}%")


def _fmt_hours(total: float, n: int, suppress: bool) -> Figure:
    if n == 0:
        return Figure(None, "–")
    if suppress and n < SUPPRESS_BELOW:
        return Figure(None, "suppressed", True)
    hours = total / n
    return Figure(hours, f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days")


def _change(now: float, before: float) -> float | None:
    if before == 0:
        return None
    return (now - before) / before


def _period_change(now: float, before: float, base: float) -> float | None:
    """The change on the previous period, or None when the earlier period counted fewer than the minimum."""
    if base < MIN_CHANGE_BASE:
        return None
    return _change(now, before)


def _sum_measures(qs: Any) -> dict[str, float]:
    agg = qs.aggregate(**{m: Sum(m) for m in MEASURES})
    return {m: float(agg[m] or 0) for m in MEASURES}


def ensure_fresh() -> None:
    """Bring rollups up to date if anything changed since the last refresh (cheap when nothing did)."""
    if rollups_stale():
        rollup_refresh()


RAW_CACHE_SECONDS = 6 * 3600


def _raw_figures(scope: DashboardScope, period: Period) -> dict[str, Any]:
    """The dashboard's sums over the rollups: plain numbers, the same for every viewer of this scope.

    Rollups change only in ``rollup_refresh``, which moves the rollup state's ``refreshed_at``; the sums are
    cached under a key that holds it, so they are exact: the first view after a refresh reads the rollups, the
    next views of the same dashboard and period reuse the sums (at a million incidents the top-offender and
    heatmap sums take most of a page's time).
    """
    state = RollupState.objects.filter(name="incidents").values_list("refreshed_at", "watermark").first()
    ident = f"{scope.slug}|{scope.filter}|{scope.people}|{period.start}|{period.end}|{state}"
    key = "insights:raw:" + hashlib.sha256(ident.encode()).hexdigest()[:32]
    raw: dict[str, Any] | None = cache.get(key) if state is not None else None
    if raw is not None:
        return raw
    f: Q = scope.filter
    current = DailyRollup.objects.filter(f, day__gte=period.start, day__lte=period.end)
    prev = period.previous()
    m_first, m_last = period.months()
    by_day = current.values("day").annotate(n=Sum("incidents"), v=Sum("violent")).order_by("day")
    types = (
        TypeRollup.objects.filter(f, month__gte=m_first, month__lte=m_last)
        .values("type")
        .annotate(n=Sum("incidents"))
        .order_by("-n")
    )
    hours = (
        HourlyRollup.objects.filter(f, month__gte=m_first, month__lte=m_last)
        .values("weekday", "hour")
        .annotate(n=Sum("incidents"))
        .order_by()
    )
    per_store = current.values("store_id").annotate(n=Sum("incidents")).order_by("-n")
    raw = {
        "by_day": [(r["day"], r["n"], r["v"]) for r in by_day],
        "t": _sum_measures(current),
        "p": _sum_measures(DailyRollup.objects.filter(f, day__gte=prev.start, day__lte=prev.end)),
        "sent": _sum_measures(current.filter(sent_to_police=True)),
        "types": [(r["type"], r["n"]) for r in types],
        "hours": [(int(r["weekday"]), int(r["hour"]), r["n"]) for r in hours],
        "per_store": [(r["store_id"], r["n"]) for r in per_store],
        "offenders": [],
    }
    if scope.people:
        ranked = (
            OffenderRollup.objects.filter(_offender_filter(scope), month__gte=m_first, month__lte=m_last)
            .values("person_id")
            .annotate(n=Sum("incidents"))
            .order_by("-n", "person_id")[:50]
        )
        raw["offenders"] = [(r["person_id"], r["n"]) for r in ranked]
    if state is not None:
        cache.set(key, raw, RAW_CACHE_SECONDS)
    return raw


def dashboard(*, viewer: Viewer, scope: DashboardScope, period: Period, audit: bool = True) -> Dashboard:
    ensure_fresh()
    sup = scope.suppress
    f: Q = scope.filter
    prev = period.previous()
    raw = _raw_figures(scope, period)
    weekly_counts: dict[dt.date, int] = defaultdict(int)
    monthly_counts: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for day, day_n, day_v in raw["by_day"]:
        weekly_counts[day - dt.timedelta(days=day.weekday())] += day_n
        mc = monthly_counts[day.replace(day=1)]
        mc[0] += day_n
        mc[1] += day_v
    t, p, sent = raw["t"], raw["p"], raw["sent"]
    n = int(t["incidents"])
    totals = {
        "incidents": _fmt_count(n, sup),
        "violent": _fmt_count(t["violent"], sup),
        "value_lost": _fmt_money(Decimal(str(t["value_lost"])), n, sup),
        "sent_to_police": _fmt_count(sent["incidents"], sup),
        "share_to_police": _fmt_rate(sent["incidents"], n, sup),
        "crime_recorded": _fmt_count(t["crime_recorded"], sup),
        "time_to_crime_number": _fmt_hours(t["hours_to_crime_number"], int(t["crime_recorded"]), sup),
        "outcomes": _fmt_count(t["outcomes"], sup),
        "positive_outcome_rate": _fmt_rate(t["positive_outcomes"], t["outcomes"], sup),
        "solved_rate_reviewed": _fmt_rate(t["solved_reviewed"], t["reviewed"], sup),
        "solved_rate_unreviewed": _fmt_rate(t["solved_unreviewed"], sent["incidents"] - t["reviewed"], sup),
        "rcap_attendance_rate": _fmt_rate(t["rcap_attended"], t["rcap_attendance_due"], sup),
    }
    # Value lost is compared only when enough incidents carried it the period before.
    bases = {
        "incidents": int(p["incidents"]),
        "violent": int(p["violent"]),
        "value_lost": int(p["incidents"]),
    }
    changes = {k: _period_change(t[k], p[k], bases[k]) for k in ("incidents", "violent", "value_lost")}

    labels = dict(IncidentType.choices)
    by_type = [(labels.get(kind, kind), _fmt_count(count, sup)) for kind, count in raw["types"]]

    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in raw["hours"]:
        grid[weekday - 1][hour] += count
    heatmap = [[_fmt_count(c, sup) for c in row] for row in grid]

    per_store = [{"store_id": sid, "n": count} for sid, count in raw["per_store"]]
    stores = Store.objects.in_bulk([r["store_id"] for r in per_store])
    top_stores = [
        (stores[r["store_id"]], _fmt_count(r["n"], sup)) for r in per_store[:10] if r["store_id"] in stores
    ]

    cells: dict[str, int] = defaultdict(int)
    for r in per_store:
        s = stores.get(r["store_id"])
        if s is not None:
            cells[h3.latlng_to_cell(s.latitude, s.longitude, HEX_RESOLUTION)] += r["n"]
    hexes = [
        (cell, _fmt_count(c, sup), [(lat, lng) for lat, lng in h3.cell_to_boundary(cell)])
        for cell, c in sorted(cells.items(), key=lambda kv: -kv[1])
    ]

    top_offenders: list[tuple[Any, Figure]] = []
    if scope.people and viewer.sees_people:
        ranked = raw["offenders"]
        visible = person_queryset(viewer).in_bulk([pid for pid, _ in ranked])
        top_offenders = [(visible[pid], _fmt_count(c, False)) for pid, c in ranked if pid in visible][:10]

    board = Dashboard(
        scope=scope,
        period=period,
        previous=prev,
        totals=totals,
        changes=changes,
        weekly=[(w, _fmt_count(c, sup)) for w, c in sorted(weekly_counts.items())],
        monthly=[
            (m, _fmt_count(c[0], sup), _fmt_count(c[1], sup)) for m, c in sorted(monthly_counts.items())
        ],
        by_type=by_type,
        heatmap=heatmap,
        top_stores=top_stores,
        top_offenders=top_offenders,
        hexes=hexes,
        change_bases=bases,
    )
    _police_data(board, f, period)
    if scope.kind == "store":
        board.prevention = prevention_effects(store_id=int(scope.key))
    if audit and top_offenders:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="person",
            summary=f"Top offenders on the {scope.title} dashboard",
            detail={"ids": [p.pk for p, _ in top_offenders]},
        )
    return board


def _offender_filter(scope: DashboardScope) -> Q:
    """The offender rollup has store and distribution but not retailer or force: translate the filter."""
    if scope.kind == "retailer":
        return Q(store_id__in=Store.objects.filter(retailer__slug=scope.key).values("pk"))
    if scope.kind in ("force", "pcc"):
        stores = Store.objects.filter(force_id__in=scope.force_ids).values("pk")
        if scope.kind == "force":
            return Q(store_id__in=stores) & (Q(distribution="police") | Q(sent_to_police=True))
        return Q(store_id__in=stores)
    return scope.filter


def _police_data(board: Dashboard, f: Q, period: Period) -> None:
    """Compare thefts reported here with police-recorded shoplifting in the same force areas (open data)."""
    from shopwatch.opendata.models import CrimeCount

    forces = Organisation.objects.in_bulk(list(board.scope.force_ids))
    slugs = {o.slug: o.pk for o in forces.values()}
    if not slugs:
        return
    police = (
        CrimeCount.objects.filter(force__in=list(slugs), crime_type__name="Shoplifting")
        .values("force", "month")
        .annotate(n=Sum("count"))
        .order_by("month")
    )
    ours = {
        (r["force_id"], r["month"]): r["n"]
        for r in TypeRollup.objects.filter(f, type=IncidentType.THEFT)
        .values("force_id", "month")
        .annotate(n=Sum("incidents"))
        .order_by()
    }
    rows = []
    for r in police:
        mine = ours.get((slugs[r["force"]], r["month"]), 0)
        rows.append(
            {
                "force": r["force"],
                "month": r["month"],
                "reported_here": mine,
                "police_recorded": r["n"],
                "ratio": (mine / r["n"]) if r["n"] else None,
            }
        )
    board.police_comparison = rows[-24:]
    latest = (
        CrimeCount.objects.filter(force__in=list(slugs))
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if latest is not None:
        mix = (
            CrimeCount.objects.filter(force__in=list(slugs), month=latest, crime_type__name="Shoplifting")
            .values("last_outcome__name")
            .annotate(n=Sum("count"))
            .order_by("-n")
        )
        board.outcome_mix = {(m["last_outcome__name"] or "No outcome recorded"): m["n"] for m in mix}
        board.outcome_mix_month = latest


PREVENTION_WINDOW = dt.timedelta(weeks=8)


def prevention_effects(*, store_id: int) -> list[dict[str, Any]]:
    """For each prevention measure at a store: incidents a week in the 8 weeks before and the 8 after."""
    from .models import PreventionMeasure

    out = []
    for m in PreventionMeasure.objects.filter(store_id=store_id).order_by("-started_on")[:20]:
        before = (
            DailyRollup.objects.filter(
                store_id=store_id, day__gte=m.started_on - PREVENTION_WINDOW, day__lt=m.started_on
            ).aggregate(n=Sum("incidents"))["n"]
            or 0
        )
        after_end = min(m.started_on + PREVENTION_WINDOW, timezone.localdate() + dt.timedelta(days=1))
        weeks_after = max((after_end - m.started_on).days / 7, 1 / 7)
        after = (
            DailyRollup.objects.filter(store_id=store_id, day__gte=m.started_on, day__lt=after_end).aggregate(
                n=Sum("incidents")
            )["n"]
            or 0
        )
        per_week_before = before / 8
        per_week_after = after / weeks_after
        out.append(
            {
                "measure": m,
                "before_per_week": per_week_before,
                "after_per_week": per_week_after,
                "weeks_after": weeks_after,
                "change": _change(per_week_after, per_week_before),
            }
        )
    return out

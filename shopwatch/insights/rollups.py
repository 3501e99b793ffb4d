"""Keeping the dashboard rollups exact without scanning raw incidents on a page view.

`rollup_refresh()` finds the (store, day) buckets touched since its last run: incidents created or changed
(`Incident.updated_at`), police triage and crime-record changes, and tombstones of deleted or moved incidents.
It recomputes those buckets from the raw rows and replaces them, in one transaction. It reads with an overlap
(`OVERLAP`) behind its watermark, so a transaction that committed late is still seen; recomputing a bucket
twice is harmless. It runs on a schedule (a django-tasks task, `shopwatch rollups refresh`) and, cheaply,
before a dashboard is read.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, ExtractHour, ExtractIsoWeekDay, TruncDate, TruncMonth
from django.utils import timezone

from shopwatch.core.models import Store
from shopwatch.reporting.models import Incident, IncidentBucketChange, IncidentOffender, StatusChange

from .models import DailyRollup, HourlyRollup, OffenderRollup, RollupState, TypeRollup

OVERLAP = dt.timedelta(minutes=10)
LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)

VIOLENT_TYPES = ("violence", "robbery", "threats_abuse")
VIOLENT_Q = (
    Q(type__in=VIOLENT_TYPES) | Q(flag_violence=True) | Q(flag_weapon=True) | Q(flag_staff_injured=True)
)
RCAP_ATTENDANCE_Q = Q(flag_violence=True) | Q(flag_offender_detained=True)


def _policing_measures() -> dict[str, object]:
    """Measures that come from the police workflow (triage, crime records), when that app is installed."""
    from shopwatch.policing.models import POSITIVE_OUTCOMES, SOLVED_OUTCOMES, TriageState

    reviewed = Q(triage__state__in=[TriageState.ACCEPTED, TriageState.REJECTED])
    solved = Q(crime_record__outcome__in=sorted(SOLVED_OUTCOMES))
    return {
        "rcap_attended": Count("id", filter=RCAP_ATTENDANCE_Q & Q(triage__attended_at__isnull=False)),
        "reviewed": Count("id", filter=reviewed),
        "crime_recorded": Count(
            "id", filter=~Q(crime_record__crime_reference="") & Q(crime_record__isnull=False)
        ),
        "outcomes": Count("id", filter=~Q(crime_record__outcome="") & Q(crime_record__isnull=False)),
        "positive_outcomes": Count("id", filter=Q(crime_record__outcome__in=sorted(POSITIVE_OUTCOMES))),
        "solved_reviewed": Count("id", filter=solved & reviewed),
        "solved_unreviewed": Count("id", filter=solved & ~reviewed),
    }


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time.min, tzinfo=LOCAL)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=LOCAL)
    return start, end


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _offsets(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """The local UTC offset (minutes) from each change in [start, end): [(from, minutes), ...]."""

    def minutes(at: dt.datetime) -> int:
        off = at.astimezone(LOCAL).utcoffset()
        return int(off.total_seconds() // 60) if off is not None else 0

    at = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    out = [(at, minutes(at))]
    step = dt.timedelta(hours=1)
    while at < end:
        nxt = at + step
        if minutes(nxt) != out[-1][1]:
            lo, hi = at, nxt  # the change lies in (lo, hi]: find the minute
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if minutes(mid) == out[-1][1]:
                    lo = mid
                else:
                    hi = mid
            out.append((hi, minutes(hi)))
        at = nxt
    return out


class _LocalParts:
    """Local day, month, ISO weekday and hour of a datetime column, as database expressions.

    On PostgreSQL Django's own functions run natively (AT TIME ZONE). On SQLite they call a Python function
    for every row, which dominates a rebuild over millions of incidents; there the local time is the UTC text
    shifted by the offset in force, chosen by a CASE over the zone's changes between ``start`` and ``end``,
    and the parts come from SQLite's date functions.
    """

    def __init__(self, column: str, start: dt.datetime, end: dt.datetime) -> None:
        self.column = column
        self.native = connection.vendor != "sqlite"
        if not self.native:
            changes = _offsets(start, end)
            shifted = [
                Func(F(column), Value(f"{m:+d} minutes"), function="datetime", output_field=CharField())
                for _, m in changes
            ]
            whens = [
                When(**{f"{column}__lt": changes[i + 1][0]}, then=shifted[i]) for i in range(len(changes) - 1)
            ]
            self.local: Combinable = (
                Case(*whens, default=shifted[-1], output_field=CharField()) if whens else shifted[0]
            )

    def day(self) -> Any:
        if self.native:
            return TruncDate(self.column, tzinfo=LOCAL)
        return Func(self.local, function="date", output_field=DateField())

    def month(self) -> Any:
        if self.native:
            return TruncMonth(self.column, tzinfo=LOCAL)
        return Func(self.local, Value("start of month"), function="date", output_field=DateField())

    def weekday(self) -> Any:
        if self.native:
            return ExtractIsoWeekDay(self.column, tzinfo=LOCAL)
        # strftime %w: 0 is Sunday; ISO: Monday 1 .. Sunday 7
        w = Cast(Func(Value("%w"), self.local, function="strftime"), IntegerField())
        return (w + Value(6)) % Value(7) + Value(1)

    def hour(self) -> Any:
        if self.native:
            return ExtractHour(self.column, tzinfo=LOCAL)
        return Cast(Func(Value("%H"), self.local, function="strftime"), IntegerField())


def _hours_to_crime_number(incidents: Iterable[int]) -> dict[int, float]:
    """Hours from report to crime number, per incident, from the status history."""
    ids = list(incidents)
    out: dict[int, float] = {}
    for i in range(0, len(ids), 900):
        rows = (
            StatusChange.objects.filter(incident_id__in=ids[i : i + 900], to_status="crime_recorded")
            .values_list("incident_id", "at", "incident__created_at")
            .order_by("at")
        )
        for incident_id, at, created in rows:
            out.setdefault(incident_id, max(0.0, (at - created).total_seconds() / 3600))
    return out


def _recompute_store(store: Store, first: dt.date, last: dt.date) -> int:
    """Replace one store's rollups for the days first..last (and the months they fall in)."""
    start, end = _day_bounds(first, last)
    base = Incident.objects.filter(store_id=store.pk, occurred_at__gte=start, occurred_at__lt=end)
    day = _LocalParts("occurred_at", start, end).day()
    measures = {
        "n": Count("id"),
        "violent": Count("id", filter=VIOLENT_Q),
        "value": Sum("goods_value"),
        "rcap_due": Count("id", filter=RCAP_ATTENDANCE_Q),
        **_policing_measures(),
    }
    grouped = (
        base.annotate(day=day).values("day", "distribution", "sent_to_police").annotate(**measures).order_by()
    )
    recorded = (
        base.filter(status_changes__to_status="crime_recorded")
        .values_list("id", "distribution", "sent_to_police", "occurred_at")
        .distinct()
    )
    hours: dict[tuple[dt.date, str, bool], float] = defaultdict(float)
    rec_rows = list(recorded)
    by_id = _hours_to_crime_number(r[0] for r in rec_rows)
    for inc_id, dist, police, occurred in rec_rows:
        hours[(timezone.localtime(occurred, LOCAL).date(), dist, police)] += by_id.get(inc_id, 0.0)

    rows = [
        DailyRollup(
            store_id=store.pk,
            retailer_id=store.retailer_id,
            force_id=store.force_id,
            day=g["day"],
            distribution=g["distribution"],
            sent_to_police=g["sent_to_police"],
            incidents=g["n"],
            violent=g["violent"],
            value_lost=g["value"] or Decimal("0"),
            rcap_attendance_due=g["rcap_due"],
            rcap_attended=g["rcap_attended"],
            reviewed=g["reviewed"],
            crime_recorded=g["crime_recorded"],
            hours_to_crime_number=hours.get((g["day"], g["distribution"], g["sent_to_police"]), 0.0),
            outcomes=g["outcomes"],
            positive_outcomes=g["positive_outcomes"],
            solved_reviewed=g["solved_reviewed"],
            solved_unreviewed=g["solved_unreviewed"],
        )
        for g in grouped
    ]
    DailyRollup.objects.filter(store_id=store.pk, day__gte=first, day__lte=last).delete()
    DailyRollup.objects.bulk_create(rows, batch_size=2000)

    m_first, m_last = _month_start(first), _month_start(last)
    m_start, m_end = _day_bounds(m_first, _next_month(m_last) - dt.timedelta(days=1))
    month_base = Incident.objects.filter(store_id=store.pk, occurred_at__gte=m_start, occurred_at__lt=m_end)
    local = _LocalParts("occurred_at", m_start, m_end)
    hourly = (
        month_base.annotate(month=local.month(), weekday=local.weekday(), hour=local.hour())
        .values("month", "weekday", "hour", "distribution", "sent_to_police")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_type = (
        month_base.annotate(month=local.month())
        .values("month", "type", "distribution", "sent_to_police")
        .annotate(n=Count("id"), violent=Count("id", filter=VIOLENT_Q), value=Sum("goods_value"))
        .order_by()
    )
    TypeRollup.objects.filter(store_id=store.pk, month__gte=m_first, month__lte=m_last).delete()
    TypeRollup.objects.bulk_create(
        [
            TypeRollup(
                store_id=store.pk,
                retailer_id=store.retailer_id,
                force_id=store.force_id,
                month=_as_date(t["month"]),
                type=t["type"],
                distribution=t["distribution"],
                sent_to_police=t["sent_to_police"],
                incidents=t["n"],
                violent=t["violent"],
                value_lost=t["value"] or Decimal("0"),
            )
            for t in by_type
        ],
        batch_size=2000,
    )
    HourlyRollup.objects.filter(store_id=store.pk, month__gte=m_first, month__lte=m_last).delete()
    HourlyRollup.objects.bulk_create(
        [
            HourlyRollup(
                store_id=store.pk,
                retailer_id=store.retailer_id,
                force_id=store.force_id,
                month=_as_date(h["month"]),
                weekday=h["weekday"],
                hour=h["hour"],
                distribution=h["distribution"],
                sent_to_police=h["sent_to_police"],
                incidents=h["n"],
            )
            for h in hourly
        ],
        batch_size=2000,
    )
    offenders = (
        IncidentOffender.objects.filter(
            person__isnull=False,
            incident__store_id=store.pk,
            incident__occurred_at__gte=m_start,
            incident__occurred_at__lt=m_end,
        )
        .annotate(month=_LocalParts("incident__occurred_at", m_start, m_end).month())
        .values("person_id", "month", dist=F("incident__distribution"), police=F("incident__sent_to_police"))
        .annotate(n=Count("incident_id", distinct=True))
        .order_by()
    )
    OffenderRollup.objects.filter(store_id=store.pk, month__gte=m_first, month__lte=m_last).delete()
    OffenderRollup.objects.bulk_create(
        [
            OffenderRollup(
                person_id=o["person_id"],
                store_id=store.pk,
                month=_as_date(o["month"]),
                distribution=o["dist"],
                sent_to_police=o["police"],
                incidents=o["n"],
            )
            for o in offenders
        ],
        batch_size=2000,
    )
    return len(rows)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, LOCAL).date() if timezone.is_aware(value) else value.date()
    return value


@dataclass
class RefreshResult:
    stores: int
    buckets: int
    full: bool


def _dirty(since: dt.datetime, tomb_since: dt.datetime) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Per store, the local days whose figures may have changed, as one (first, last) range per month.

    Ranges, not one span per store: two changes eleven months apart recompute two months, not the year
    between them (at ten million incidents that span made a refresh with one old change take 20 s).
    """
    from shopwatch.policing.models import CrimeRecord, Triage

    months: dict[tuple[int, dt.date], tuple[dt.date, dt.date]] = {}

    def add(store_id: int, when: dt.datetime) -> None:
        day = timezone.localtime(when, LOCAL).date()
        key = (store_id, _month_start(day))
        first, last = months.get(key, (day, day))
        months[key] = (min(first, day), max(last, day))

    for store_id, when in Incident.objects.filter(updated_at__gt=since).values_list(
        "store_id", "occurred_at"
    ):
        add(store_id, when)
    for model in (Triage, CrimeRecord):
        for store_id, when in model.objects.filter(updated_at__gt=since).values_list(
            "incident__store_id", "incident__occurred_at"
        ):
            add(store_id, when)
    for store_id, when in IncidentBucketChange.objects.filter(at__gt=tomb_since).values_list(
        "store_id", "occurred_at"
    ):
        add(int(store_id), when)
    spans: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for (store_id, _), span in sorted(months.items()):
        spans[store_id].append(span)
    return dict(spans)


def rollup_refresh(*, full: bool = False) -> RefreshResult:
    """Bring the rollups up to date. Safe to run at any time, concurrently with reports arriving."""
    now = timezone.now()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(name="incidents")
        if full or state.watermark is None:
            spans: dict[int, list[tuple[dt.date, dt.date]]] = {}
            for store_id, first_at, last_at in _store_extents():
                spans[store_id] = [
                    (timezone.localtime(first_at, LOCAL).date(), timezone.localtime(last_at, LOCAL).date())
                ]
            DailyRollup.objects.all().delete()
            TypeRollup.objects.all().delete()
            HourlyRollup.objects.all().delete()
            OffenderRollup.objects.all().delete()
            full = True
        else:
            spans = _dirty(state.watermark - OVERLAP, (state.tombstone_at or state.watermark) - OVERLAP)
        stores = Store.objects.in_bulk(list(spans))
        buckets = 0
        for store_id, ranges in spans.items():
            store = stores.get(store_id)
            if store is None:
                DailyRollup.objects.filter(store_id=store_id).delete()
                TypeRollup.objects.filter(store_id=store_id).delete()
                HourlyRollup.objects.filter(store_id=store_id).delete()
                OffenderRollup.objects.filter(store_id=store_id).delete()
                continue
            for first, last in ranges:
                buckets += _recompute_store(store, first, last)
        state.watermark = now
        state.tombstone_at = now
        state.refreshed_at = timezone.now()
        state.buckets_last_run = buckets
        state.save(update_fields=["watermark", "tombstone_at", "refreshed_at", "buckets_last_run"])
    return RefreshResult(stores=len(spans), buckets=buckets, full=full)


def _store_extents() -> list[tuple[int, dt.datetime, dt.datetime]]:
    return [
        (r["store_id"], r["first"], r["last"])
        for r in Incident.objects.values("store_id")
        .annotate(first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by()
    ]


def rollups_stale() -> bool:
    """Whether anything changed since the last refresh (one cheap indexed query per source)."""
    from shopwatch.policing.models import CrimeRecord, Triage

    state = RollupState.objects.filter(name="incidents").first()
    if state is None or state.watermark is None:
        return True
    mark = state.watermark
    return (
        Incident.objects.filter(updated_at__gt=mark).exists()
        or IncidentBucketChange.objects.filter(at__gt=state.tombstone_at or mark).exists()
        or Triage.objects.filter(updated_at__gt=mark).exists()
        or CrimeRecord.objects.filter(updated_at__gt=mark).exists()
    )

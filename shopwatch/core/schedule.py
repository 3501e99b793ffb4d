"""Scheduled work: which django-tasks task is enqueued when, and the claim that makes each slot run once.

django-tasks has no periodic tasks, so ``shopwatch scheduler`` (core/management/commands/scheduler.py)
calls ``enqueue_due`` every few seconds. Each job's time is cut into slots: every N seconds counted from the
Unix epoch, or a local time of day (daily), or a weekday and time (weekly), in settings.TIME_ZONE. A job is
due when the current slot starts after the last slot claimed in its ScheduledRun row. The claim is a
conditional update (``slot_at < this slot``) in the same transaction as the enqueue, so:

* two schedulers running at once enqueue a slot once (the second update changes no row);
* a failed enqueue gives the slot back (the transaction rolls back);
* a scheduler that was stopped for several slots enqueues the job once when it comes back, not once per slot.

Daily and weekly jobs seen for the first time are not run at once: their current slot is recorded and they
run at their next time (a fresh installation does not send a weekly digest the moment it starts). Interval
jobs run at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import ScheduledRun

log = logging.getLogger(__name__)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Job:
    """One scheduled job: ``every`` (an interval), or ``at`` (daily), or ``at`` and ``weekday`` (weekly)."""

    name: str
    task: str  # dotted path of a django-tasks Task, e.g. "shopwatch.insights.tasks.refresh_rollups"
    every: dt.timedelta | None = None
    at: dt.time | None = None
    weekday: int | None = None  # 0 = Monday

    def __post_init__(self) -> None:
        if (self.every is None) == (self.at is None):
            raise ValueError(f"{self.name}: give either every= or at=")
        if self.every is not None and (self.every.total_seconds() < 1 or self.weekday is not None):
            raise ValueError(f"{self.name}: an interval is at least a second and has no weekday")
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError(f"{self.name}: weekday is 0 (Monday) to 6 (Sunday)")

    @property
    def calendar(self) -> bool:
        return self.at is not None

    def describe(self) -> str:
        if self.every is not None:
            return f"every {_seconds_text(int(self.every.total_seconds()))}"
        assert self.at is not None
        when = self.at.strftime("%H:%M")
        if self.weekday is None:
            return f"daily at {when}"
        return f"{dt.date(2024, 1, 1 + self.weekday):%A}s at {when}"  # 2024-01-01 was a Monday

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The start of the slot that ``now`` (aware) falls in."""
        if self.every is not None:
            step = int(self.every.total_seconds())
            elapsed = int((now - EPOCH).total_seconds())
            return EPOCH + dt.timedelta(seconds=elapsed - elapsed % step)
        assert self.at is not None
        zone = ZoneInfo(settings.TIME_ZONE)
        local = now.astimezone(zone)
        day = local.date()
        if self.weekday is not None:
            day -= dt.timedelta(days=(day.weekday() - self.weekday) % 7)
        start = dt.datetime.combine(day, self.at, tzinfo=zone)
        if start > local:
            back = dt.timedelta(days=7 if self.weekday is not None else 1)
            start = dt.datetime.combine(day - back, self.at, tzinfo=zone)
        return start.astimezone(dt.UTC)

    def next_slot(self, now: dt.datetime) -> dt.datetime:
        """The start of the slot after the one ``now`` falls in."""
        if self.every is not None:
            return self.slot(now) + self.every
        probe = self.slot(now) + dt.timedelta(days=7 if self.weekday is not None else 1, hours=3)
        return self.slot(probe)  # the hours absorb a daylight-saving change

    def load_task(self) -> Any:
        module, _, attr = self.task.rpartition(".")
        return getattr(import_module(module), attr)


def _seconds_text(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return f"{seconds} seconds"


MINUTE = dt.timedelta(minutes=1)
JOBS: tuple[Job, ...] = (
    Job("insights.refresh_rollups", "shopwatch.insights.tasks.refresh_rollups", every=MINUTE),
    Job("policing.send_due_handoffs", "shopwatch.policing.tasks.send_due_handoffs", every=MINUTE),
    Job(
        "uploads.cleanup_abandoned_uploads",
        "shopwatch.uploads.tasks.cleanup_abandoned_uploads",
        every=dt.timedelta(hours=1),
    ),
    Job("linking.score_changed_persons", "shopwatch.linking.tasks.score_changed_persons", every=MINUTE),
    Job("linking.run_full_linking", "shopwatch.linking.tasks.run_full_linking", at=dt.time(2, 0)),
    Job("faces.refresh_face_encodings", "shopwatch.faces.tasks.refresh_face_encodings", every=MINUTE),
    Job("intelligence.run_retention", "shopwatch.intelligence.tasks.run_retention", at=dt.time(3, 0)),
    Job("evidence.apply_retention", "shopwatch.evidence.tasks.apply_evidence_retention", at=dt.time(3, 30)),
    Job("navigator.apply_retention", "shopwatch.navigator.tasks.apply_case_retention", at=dt.time(3, 45)),
    Job(
        "intelligence.send_weekly_digests",
        "shopwatch.intelligence.tasks.send_weekly_digests",
        at=dt.time(7, 0),
        weekday=0,
    ),
)


@dataclass(frozen=True)
class Enqueued:
    name: str
    slot_at: dt.datetime
    result_id: str


def job_claim(*, job: Job, now: dt.datetime) -> Enqueued | None:
    """Enqueue ``job`` if its current slot has not been claimed yet; None if it is not due (or another
    scheduler claimed the slot first)."""
    slot = job.slot(now)
    row, _created = ScheduledRun.objects.get_or_create(name=job.name)
    if row.slot_at is None and job.calendar:
        # First sight of a daily or weekly job: wait for its next time rather than running now.
        ScheduledRun.objects.filter(pk=row.pk, slot_at__isnull=True).update(slot_at=slot)
        return None
    if row.slot_at is not None and row.slot_at >= slot:
        return None
    task = job.load_task()
    with transaction.atomic():
        unclaimed = Q(slot_at__lt=slot) | Q(slot_at__isnull=True)
        claimed = ScheduledRun.objects.filter(unclaimed, pk=row.pk).update(slot_at=slot, last_enqueued_at=now)
        if not claimed:
            return None
        result = task.enqueue()
        ScheduledRun.objects.filter(pk=row.pk).update(last_result_id=str(result.id)[:64], runs=F("runs") + 1)
    return Enqueued(name=job.name, slot_at=slot, result_id=str(result.id))


def enqueue_due(*, now: dt.datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> list[Enqueued]:
    """Enqueue every job whose slot is due at ``now``. A job whose enqueue fails is logged and left due."""
    moment = now or timezone.now()
    if timezone.is_naive(moment):
        raise ValueError("enqueue_due needs an aware datetime")
    done = []
    for job in jobs:
        try:
            claimed = job_claim(job=job, now=moment)
        except Exception:
            log.exception("Could not enqueue scheduled job %s; it stays due", job.name)
            continue
        if claimed is not None:
            done.append(claimed)
    return done


def seconds_until_next(*, now: dt.datetime, jobs: tuple[Job, ...] = JOBS) -> float:
    """How long until the earliest next slot of any job."""
    return max(0.0, min((j.next_slot(now) - now).total_seconds() for j in jobs))

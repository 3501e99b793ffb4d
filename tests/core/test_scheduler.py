"""The scheduler enqueues each job once per slot, at the right local times, even with two schedulers."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import close_old_connections

from shopwatch.core.models import ScheduledRun
from shopwatch.core.schedule import JOBS, Enqueued, Job, enqueue_due
from shopwatch.insights.models import DailyRollup
from tests.world import World

LONDON = zoneinfo.ZoneInfo("Europe/London")
ROLLUPS = next(j for j in JOBS if j.name == "insights.refresh_rollups")
DIGESTS = next(j for j in JOBS if j.name == "intelligence.send_weekly_digests")
RETENTION = next(j for j in JOBS if j.name == "intelligence.run_retention")
EVERY_MINUTE = Job("test.rollups", "shopwatch.insights.tasks.refresh_rollups", every=dt.timedelta(minutes=1))


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def names(done: list[Enqueued]) -> list[str]:
    return [d.name for d in done]


def test_jobs_cover_the_scheduled_work_of_each_app() -> None:
    assert {j.name for j in JOBS} == {
        "insights.refresh_rollups",
        "policing.send_due_handoffs",
        "uploads.cleanup_abandoned_uploads",
        "intelligence.run_retention",
        "intelligence.send_weekly_digests",
        "evidence.apply_retention",
        "navigator.apply_retention",
        "linking.score_changed_persons",
        "linking.run_full_linking",
        "faces.refresh_face_encodings",
    }
    for job in JOBS:
        assert callable(job.load_task().enqueue), job.name


def test_a_new_report_reaches_the_dashboard_rollups_on_the_next_minute(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    now = at(2026, 11, 30, 10, 0, 10)
    assert names(enqueue_due(now=now, jobs=(EVERY_MINUTE,))) == ["test.rollups"]
    assert DailyRollup.objects.filter(store_id=incident.store_id).exists()
    row = ScheduledRun.objects.get(name="test.rollups")
    assert row.runs == 1
    assert row.last_result_id
    assert row.last_enqueued_at == now

    # Later in the same minute nothing is enqueued; the next minute it runs again.
    assert enqueue_due(now=now + dt.timedelta(seconds=45), jobs=(EVERY_MINUTE,)) == []
    assert names(enqueue_due(now=now + dt.timedelta(seconds=51), jobs=(EVERY_MINUTE,))) == ["test.rollups"]
    assert ScheduledRun.objects.get(name="test.rollups").runs == 2


def test_a_scheduler_back_after_a_gap_runs_a_job_once_not_once_per_missed_slot(db: None) -> None:
    now = at(2026, 11, 30, 10, 0, 0)
    enqueue_due(now=now, jobs=(EVERY_MINUTE,))
    assert names(enqueue_due(now=now + dt.timedelta(minutes=30), jobs=(EVERY_MINUTE,))) == ["test.rollups"]
    assert ScheduledRun.objects.get(name="test.rollups").runs == 2


def test_weekly_digest_goes_out_on_monday_morning_once(world: World) -> None:
    sunday = at(2026, 11, 29, 12, 0)
    # First sight of a weekly job: the scheduler waits for Monday 07:00 rather than mailing at once.
    assert enqueue_due(now=sunday, jobs=(DIGESTS,)) == []
    assert mail.outbox == []
    assert enqueue_due(now=at(2026, 11, 30, 6, 59), jobs=(DIGESTS,)) == []

    assert names(enqueue_due(now=at(2026, 11, 30, 7, 0, 5), jobs=(DIGESTS,))) == [DIGESTS.name]
    sent = len(mail.outbox)
    assert sent > 0
    assert all(m.subject == "Your ShopWatch week" for m in mail.outbox)
    assert enqueue_due(now=at(2026, 11, 30, 9, 0), jobs=(DIGESTS,)) == []
    assert enqueue_due(now=at(2026, 12, 6, 23, 59), jobs=(DIGESTS,)) == []
    assert len(mail.outbox) == sent
    assert names(enqueue_due(now=at(2026, 12, 7, 7, 1), jobs=(DIGESTS,))) == [DIGESTS.name]
    assert len(mail.outbox) == 2 * sent


def test_daily_times_are_local_times_through_the_clock_change() -> None:
    # 03:00 in London is 02:00 UTC in summer and 03:00 UTC in winter.
    assert RETENTION.slot(at(2026, 7, 1, 12, 0)) == dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)
    assert RETENTION.slot(at(2026, 12, 1, 12, 0)) == dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    # Before today's time, the slot is yesterday's.
    assert RETENTION.slot(at(2026, 12, 1, 2, 59)) == dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
    # The clocks went back at 02:00 BST on 25 October 2026: that day's 03:00 is GMT.
    assert RETENTION.next_slot(at(2026, 10, 24, 12, 0)) == dt.datetime(2026, 10, 25, 3, 0, tzinfo=dt.UTC)
    assert DIGESTS.slot(at(2026, 12, 3, 12, 0)) == dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)


def test_a_job_needs_exactly_one_kind_of_time() -> None:
    with pytest.raises(ValueError, match="either every= or at="):
        Job("x", "shopwatch.insights.tasks.refresh_rollups")
    with pytest.raises(ValueError, match="either every= or at="):
        Job("x", "shopwatch.insights.tasks.refresh_rollups", every=dt.timedelta(minutes=1), at=dt.time(3))
    with pytest.raises(ValueError, match="weekday"):
        Job("x", "shopwatch.insights.tasks.refresh_rollups", at=dt.time(3), weekday=7)


def test_naive_times_are_refused(db: None) -> None:
    with pytest.raises(ValueError, match="aware"):
        enqueue_due(now=dt.datetime(2026, 11, 30, 10, 0))


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_enqueue_each_slot_once() -> None:
    start = at(2026, 11, 30, 10, 0, 0)
    slots = 8
    barrier = threading.Barrier(2)
    enqueued: list[str] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            for minute in range(slots):
                barrier.wait(timeout=30)
                enqueued.extend(
                    names(
                        enqueue_due(now=start + dt.timedelta(minutes=minute, seconds=1), jobs=(EVERY_MINUTE,))
                    )
                )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(enqueued) == slots
    assert ScheduledRun.objects.get(name="test.rollups").runs == slots


def test_scheduler_command_once_and_list(db: None) -> None:
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    text = out.getvalue()
    assert "enqueued insights.refresh_rollups" in text
    assert "enqueued policing.send_due_handoffs" in text
    assert "send_weekly_digests" not in text  # waits for Monday morning
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    listing = out.getvalue()
    assert "Mondays at 07:00" in listing
    assert "every minute" in listing

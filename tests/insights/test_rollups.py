"""Rollups agree with direct counts of incidents after incidents are added, changed and deleted."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from shopwatch.core.models import Distribution
from shopwatch.insights.models import DailyRollup, HourlyRollup, OffenderRollup, TypeRollup
from shopwatch.insights.rollups import rollup_refresh, rollups_stale
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import GoodsInput, OffenderInput, incident_delete, incident_send_to_police
from shopwatch.subjects.services import person_create
from tests.world import World

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _direct() -> tuple[
    Counter[tuple[int, dt.date, str, bool]], Counter[tuple[int, dt.date]], Counter[tuple[int, int, int]]
]:
    per_day: Counter[tuple[int, dt.date, str, bool]] = Counter()
    values: Counter[tuple[int, dt.date]] = Counter()
    hours: Counter[tuple[int, int, int]] = Counter()
    for inc in Incident.objects.all():
        local = timezone.localtime(inc.occurred_at, LONDON)
        per_day[(inc.store_id, local.date(), inc.distribution, inc.sent_to_police)] += 1
        values[(inc.store_id, local.date())] += int(inc.goods_value * 100)
        hours[(inc.store_id, local.isoweekday(), local.hour)] += 1
    return per_day, values, hours


def _rolled() -> tuple[
    Counter[tuple[int, dt.date, str, bool]], Counter[tuple[int, dt.date]], Counter[tuple[int, int, int]]
]:
    per_day: Counter[tuple[int, dt.date, str, bool]] = Counter()
    values: Counter[tuple[int, dt.date]] = Counter()
    hours: Counter[tuple[int, int, int]] = Counter()
    for r in DailyRollup.objects.all():
        if r.incidents:
            per_day[(r.store_id, r.day, r.distribution, r.sent_to_police)] += r.incidents
            values[(r.store_id, r.day)] += int(r.value_lost * 100)
    for h in HourlyRollup.objects.all():
        hours[(h.store_id, h.weekday, h.hour)] += h.incidents
    return per_day, values, +hours


def _assert_agree() -> None:
    direct, rolled = _direct(), _rolled()
    assert rolled[0] == +direct[0]
    assert +rolled[1] == +direct[1]
    assert rolled[2] == +direct[2]
    assert sum(t.incidents for t in TypeRollup.objects.all()) == Incident.objects.count()


@pytest.mark.django_db
def test_rollups_follow_additions_changes_and_deletions(world: World) -> None:
    now = timezone.now()
    made = []
    for i, (user, store) in enumerate(
        [
            ("reporter", "nw-brighton"),
            ("manager", "nw-brighton"),
            ("other_store_reporter", "nw-hove"),
            ("same_partnership_reporter", "corner-brighton"),
            ("unconnected_reporter", "oxshop-oxford"),
        ]
        * 3
    ):
        made.append(
            world.report(
                user,
                store,
                occurred_at=now - dt.timedelta(days=i * 9, hours=i),
                goods=[GoodsInput(description="Steak", value=Decimal("12.50") * (i + 1))],
                distribution=Distribution.ORGANISATION if i % 4 == 0 else None,
            )
        )
    result = rollup_refresh()
    assert result.full
    _assert_agree()
    assert not rollups_stale()

    # Added: a new report is picked up by an incremental refresh of just its bucket.
    made.append(world.report("reporter", "nw-brighton", type="violence", flags=["violence"]))
    assert rollups_stale()
    inc = rollup_refresh()
    assert not inc.full
    assert inc.stores >= 1
    _assert_agree()

    # Changed: sending to police moves the incident between police and non-police buckets.
    incident_send_to_police(viewer=world.viewer("manager"), incident=made[1])
    rollup_refresh()
    _assert_agree()
    assert DailyRollup.objects.filter(sent_to_police=True).exists()

    # Deleted: the tombstone tells the refresh which bucket to recompute.
    incident_delete(viewer=world.viewer("security"), incident=made[0], reason="Filed twice by mistake")
    incident_delete(viewer=world.viewer("security"), incident=made[5], reason="Filed twice by mistake")
    rollup_refresh()
    _assert_agree()

    # A full rebuild gives the same answer as the incremental path.
    before = sorted(
        DailyRollup.objects.values_list("store_id", "day", "distribution", "sent_to_police", "incidents")
    )
    rollup_refresh(full=True)
    after = sorted(
        DailyRollup.objects.values_list("store_id", "day", "distribution", "sent_to_police", "incidents")
    )
    assert before == after


@pytest.mark.django_db
def test_offender_rollup_counts_incidents_per_person(world: World) -> None:
    pm = world.viewer("partnership_manager")
    person = person_create(
        viewer=pm, owner_org=world.orgs["brighton-bcrp"], given_name="Kyle", family_name="Marsh"
    )
    for _ in range(3):
        world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    world.report(
        "same_partnership_reporter", "corner-brighton", offenders=[OffenderInput(person_id=person.pk)]
    )
    rollup_refresh()
    assert sum(OffenderRollup.objects.filter(person_id=person.pk).values_list("incidents", flat=True)) == 4


@pytest.mark.django_db
def test_changes_months_apart_recompute_only_their_months(world: World) -> None:
    now = timezone.now()
    made = [
        world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=days))
        for days in (300, 200, 100, 5)
    ]
    # Filed an hour ago: past the refresh's overlap window, so only what changes next is dirty.
    Incident.objects.update(updated_at=now - dt.timedelta(hours=1))
    rollup_refresh()
    between = {
        r.pk
        for r in DailyRollup.objects.filter(store_id=made[0].store_id)
        if r.day in {timezone.localtime(made[i].occurred_at, LONDON).date() for i in (1, 2)}
    }
    assert len(between) == 2

    # Two incidents ten months apart are sent to police: their months are recomputed, not the months between.
    incident_send_to_police(viewer=world.viewer("manager"), incident=made[0])
    incident_send_to_police(viewer=world.viewer("manager"), incident=made[3])
    result = rollup_refresh()
    assert not result.full
    _assert_agree()
    assert set(DailyRollup.objects.filter(pk__in=between).values_list("pk", flat=True)) == between

"""The triage queue puts what is happening now (offender on scene, violence) ahead of old reports of the
same priority, then takes the rest by score and age."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from shopwatch.reporting.models import Incident, StatusChange
from tests.api.support import ApiClient
from tests.world import World


def _sent(world: World, **kw: object) -> Incident:
    return world.report("reporter", "nw-brighton", report_to_police=True, **kw)


def _age(incident: Incident, hours: float) -> None:
    when = timezone.now() - dt.timedelta(hours=hours)
    Incident.objects.filter(pk=incident.pk).update(
        created_at=when, occurred_at=when - dt.timedelta(minutes=5), sent_to_police_at=when
    )
    StatusChange.objects.filter(incident=incident).update(at=when)


def test_a_new_p1_with_the_offender_on_scene_goes_ahead_of_p1s_waiting_for_months(
    world: World, api: Callable[[str], ApiClient]
) -> None:
    months_old = _sent(world, type="violence", flags=["violence"], description="Punched a colleague")
    weeks_old = _sent(world, type="violence", flags=["violence", "offender_nearby"], description="Threats")
    now = _sent(world, type="violence", flags=["violence", "offender_nearby"], description="Still in store")
    _age(months_old, 24 * 90)
    _age(weeks_old, 24 * 14)
    assert months_old.priority == weeks_old.priority == now.priority
    ids = [i["id"] for i in api("police_sussex").get("/api/v1/police/queue").json()["items"]]
    assert ids.index(now.pk) < ids.index(months_old.pk)
    assert ids.index(now.pk) < ids.index(weeks_old.pk)
    # After the moment has passed, the longest waiting goes first again among equals.
    _age(now, 3)
    ids = [i["id"] for i in api("police_sussex").get("/api/v1/police/queue").json()["items"]]
    assert ids.index(now.pk) > ids.index(weeks_old.pk)

"""Overdue items on the triage queue: past the response their priority's target asks for (policing.targets),
flagged on the row, counted, and filterable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from shopwatch.policing.selectors.queue import overdue_count, queue_page
from shopwatch.policing.services.triage import triage_record_attendance, triage_request_cctv, triage_take
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
    incident.refresh_from_db()


def _overdue_ids(world: World) -> dict[int, bool]:
    rows, _ = queue_page(viewer=world.viewer("police_sussex"), after=None, limit=50)
    return {r.incident.pk: r.overdue for r in rows}


def test_a_p1_not_attended_within_an_hour_is_overdue_and_attendance_ends_it(world: World) -> None:
    p1 = _sent(world, type="violence", flags=["violence"], description="Punched a colleague")
    assert p1.priority == "P1"
    _age(p1, 0.5)
    assert _overdue_ids(world)[p1.pk] is False
    _age(p1, 2)
    assert _overdue_ids(world)[p1.pk] is True
    # Taking it is not a response to the victim; attending is.
    officer = world.viewer("police_sussex")
    triage_take(viewer=officer, incident=p1)
    assert _overdue_ids(world)[p1.pk] is True
    triage_record_attendance(viewer=officer, incident=p1, note="Spoke to the manager")
    assert _overdue_ids(world)[p1.pk] is False


def test_targets_follow_priority_and_a_request_to_the_store_is_a_response(world: World) -> None:
    p3 = _sent(world, description="Took razor blades", goods_value="35.00")
    assert p3.priority == "P3"
    _age(p3, 30)  # past P2's 24 hours, within P3's 3 days
    assert _overdue_ids(world)[p3.pk] is False
    _age(p3, 24 * 4)
    assert _overdue_ids(world)[p3.pk] is True
    assert overdue_count(world.viewer("police_sussex")) == 1
    triage_request_cctv(
        viewer=world.viewer("police_sussex"), incident=p3, reason="The entrance camera, 14:00 to 14:30"
    )
    assert _overdue_ids(world)[p3.pk] is False
    assert overdue_count(world.viewer("police_sussex")) == 0


def test_the_queue_page_marks_counts_and_filters_overdue(world: World, web: Callable[[str], Client]) -> None:
    late = _sent(world, description="Took meat from the chiller", goods_value="20.00")
    fresh = _sent(world, description="Took coffee", goods_value="12.00")
    _age(late, 24 * 5)
    client = web("police_sussex")
    page = client.get("/police/queue/").content.decode()
    assert "1 overdue" in page
    assert page.count("tag-overdue") == 1
    assert late.reference in page
    assert fresh.reference in page
    only = client.get("/police/queue/?overdue=1").content.decode()
    assert late.reference in only
    assert fresh.reference not in only
    assert "Triage queue: overdue" in only


def test_the_queue_api_gives_each_item_its_target_due_time_and_overdue_and_filters_overdue(
    world: World, api: Callable[[str], ApiClient]
) -> None:
    late = _sent(world, description="Took meat from the chiller", goods_value="20.00")
    fresh = _sent(world, description="Took coffee", goods_value="12.00")
    assert late.priority == fresh.priority == "P3"
    _age(late, 24 * 5)
    client = api("police_sussex")
    items = {i["id"]: i for i in client.get("/api/v1/police/queue").json()["items"]}
    assert items[late.pk]["overdue"] is True
    assert items[fresh.pk]["overdue"] is False
    assert items[late.pk]["response_target"] == "respond within 3 days"
    due = dt.datetime.fromisoformat(items[late.pk]["due_at"])
    sent = dt.datetime.fromisoformat(items[late.pk]["sent_at"])
    assert due - sent == dt.timedelta(days=3)
    assert due < timezone.now()

    only = client.get("/api/v1/police/queue", {"overdue": "true"}).json()["items"]
    assert [i["id"] for i in only] == [late.pk]
    # The same rule as the web queue: a request to the store is a response, and ends it.
    triage_request_cctv(
        viewer=world.viewer("police_sussex"), incident=late, reason="The till camera, 09:00 to 09:30"
    )
    assert client.get("/api/v1/police/queue", {"overdue": "true"}).json()["items"] == []
    again = {i["id"]: i for i in client.get("/api/v1/police/queue").json()["items"]}
    assert again[late.pk]["overdue"] is False

    bad = client.get("/api/v1/police/queue", {"overdue": "maybe"})
    assert bad.status_code in (400, 422)
    assert bad["Content-Type"].startswith("application/problem+json")

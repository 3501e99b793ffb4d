"""The triage queue: ordering, what each row shows, decisions, assignment, and one force per queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shopwatch.core.errors import ServiceError
from shopwatch.core.models import AuditEvent
from shopwatch.policing.models import Notification, Triage, TriageEvent, TriageState
from shopwatch.policing.selectors.feedback import police_feedback
from shopwatch.policing.selectors.queue import queue_page
from shopwatch.policing.selectors.workload import workload
from shopwatch.policing.services import triage
from shopwatch.reporting.models import Incident, IncidentStatus, StatusChange
from shopwatch.reporting.services import incident_send_to_police
from shopwatch.subjects.services import person_create
from tests.api.support import ApiClient
from tests.world import World


def _sent(world: World, store: str = "nw-brighton", **kw: object) -> Incident:
    return world.report(
        "reporter" if store == "nw-brighton" else "unconnected_reporter", store, report_to_police=True, **kw
    )


def _age(incident: Incident, hours: float) -> None:
    """Pretend the incident was sent to police ``hours`` ago (as if reported then)."""
    when = timezone.now() - dt.timedelta(hours=hours)
    Incident.objects.filter(pk=incident.pk).update(
        created_at=when, occurred_at=when - dt.timedelta(minutes=5), sent_to_police_at=when
    )
    StatusChange.objects.filter(incident=incident).update(at=when)


def test_queue_orders_by_priority_then_score_then_longest_waiting(
    world: World, api: Callable[[str], ApiClient]
) -> None:
    p3_old = _sent(world, description="Took razors")
    p3_new = _sent(world, description="Took cheese")
    p1 = _sent(world, type="violence", flags=["violence"], description="Punched a colleague")
    p2_low = _sent(world, goods_value=Decimal("250"), description="Took a lot of meat")
    p2_high = _sent(
        world, flags=["staff_injured"], goods_value=Decimal("250"), description="Pushed staff, took meat"
    )
    p4 = _sent(world, type="antisocial_behaviour", description="Shouting at customers")
    _age(p3_old, 30)
    _age(p3_new, 2)
    assert p2_high.priority == p2_low.priority == "P2"
    assert p2_high.priority_score > p2_low.priority_score

    pages = api("police_sussex").follow("/api/v1/police/queue", {"limit": 2})
    ids = [item["id"] for page in pages for item in page]
    assert ids == [p1.pk, p2_high.pk, p2_low.pk, p3_old.pk, p3_new.pk, p4.pk]
    assert len(pages) == 3


def test_queue_row_shows_waiting_time_evidence_and_known_person(
    world: World, api: Callable[[str], ApiClient]
) -> None:
    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Danny",
        family_name="Fletcher",
    )
    from shopwatch.reporting.services import OffenderInput

    known = _sent(world, offenders=[OffenderInput(person_id=person.pk)])
    unknown = _sent(world, offenders=[OffenderInput(description="Tall, grey hoodie")])
    _age(unknown, 5)
    items = {i["id"]: i for i in api("police_sussex").get("/api/v1/police/queue").json()["items"]}
    assert items[known.pk]["known_person"] is True
    assert items[unknown.pk]["known_person"] is False
    assert items[unknown.pk]["waiting_seconds"] >= 5 * 3600
    assert items[known.pk]["evidence_count"] == 0
    assert items[known.pk]["triage_state"] == "new"


def test_incident_sent_later_by_the_store_enters_the_queue(
    world: World, api: Callable[[str], ApiClient]
) -> None:
    inc = world.report("reporter", "nw-brighton")
    client = api("police_sussex")
    assert inc.pk not in [i["id"] for i in client.get("/api/v1/police/queue").json()["items"]]
    incident_send_to_police(viewer=world.viewer("reporter"), incident=inc)
    assert inc.pk in [i["id"] for i in client.get("/api/v1/police/queue").json()["items"]]


def test_one_force_cannot_see_or_triage_another_forces_queue(
    world: World, api: Callable[[str], ApiClient]
) -> None:
    sussex = _sent(world)
    oxford = _sent(world, store="oxshop-oxford")
    tv_ids = [i["id"] for i in api("police_tv").get("/api/v1/police/queue").json()["items"]]
    sx_ids = [i["id"] for i in api("police_sussex").get("/api/v1/police/queue").json()["items"]]
    assert tv_ids == [oxford.pk]
    assert sx_ids == [sussex.pk]
    response = api("police_tv").post(f"/api/v1/incidents/{sussex.pk}/triage", {"decision": "accept"})
    assert response.status_code == 404
    missing = api("police_tv").post("/api/v1/incidents/99999999/triage", {"decision": "accept"})
    assert missing.status_code == 404
    assert response.json()["title"] == missing.json()["title"]
    assert not Triage.objects.exists()


def test_store_staff_get_no_queue_and_cannot_triage(world: World, api: Callable[[str], ApiClient]) -> None:
    inc = _sent(world)
    assert api("reporter").get("/api/v1/police/queue").json() == {"items": [], "next": None}
    response = api("reporter").post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "accept"})
    assert response.status_code == 404


def test_analyst_can_read_but_not_decide(world: World, api: Callable[[str], ApiClient]) -> None:
    inc = _sent(world)
    response = api("analyst_sussex").post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "accept"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "role"


def test_accept_moves_incident_with_police_leaves_queue_and_tells_the_store(
    world: World,
    api: Callable[[str], ApiClient],
    django_capture_on_commit_callbacks: object,
    mailoutbox: list[object],
) -> None:
    inc = _sent(world)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = api("police_sussex").post(
            f"/api/v1/incidents/{inc.pk}/triage", {"decision": "accept", "reason": "Clear CCTV"}
        )
    assert response.status_code == 200, response.content
    assert response.json()["triage_state"] == "accepted"
    assert response.json()["status"] == IncidentStatus.WITH_POLICE
    assert response.json()["handoff"] is None  # no endpoint configured: the file export is the way
    inc.refresh_from_db()
    assert inc.status == IncidentStatus.WITH_POLICE
    assert inc.pk not in [i["id"] for i in api("police_sussex").get("/api/v1/police/queue").json()["items"]]
    recipients = set(Notification.objects.filter(incident=inc).values_list("user__email", flat=True))
    assert recipients == {"reporter@example.org", "manager@example.org"}
    assert len(mailoutbox) == 2
    assert AuditEvent.objects.filter(
        object_type="incident", object_id=str(inc.pk), summary__contains="triage accept"
    ).exists()
    again = api("police_sussex").post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "accept"})
    assert again.status_code == 200
    assert TriageEvent.objects.filter(incident=inc, action="accept").count() == 1


def test_reject_needs_a_reason_and_the_store_sees_it(world: World, api: Callable[[str], ApiClient]) -> None:
    inc = _sent(world)
    client = api("police_sussex")
    bad = client.post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "reject", "reason": "  "})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["reason"]
    assert not Triage.objects.filter(incident=inc).exists()
    ok = client.post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "reject", "reason": "Civil dispute"})
    assert ok.json()["triage_state"] == "rejected"
    feedback = police_feedback(viewer=world.viewer("reporter"), incident_id=inc.pk)
    assert feedback is not None
    assert feedback.triage_reason == "Civil dispute"
    late = client.post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "accept"})
    assert late.status_code == 409


def test_bad_triage_bodies_get_field_errors(world: World, api: Callable[[str], ApiClient]) -> None:
    inc = _sent(world)
    client = api("police_sussex")
    r = client.post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "maybe"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "decision"
    r = client.post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "accept", "colour": "red"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "colour"
    r = client.post(f"/api/v1/incidents/{inc.pk}/triage", {"reason": "x"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "decision"


def test_request_info_and_cctv_stay_in_queue_and_notify(
    world: World, api: Callable[[str], ApiClient]
) -> None:
    inc = _sent(world)
    client = api("police_sussex")
    r = client.post(
        f"/api/v1/incidents/{inc.pk}/triage",
        {"decision": "request_info", "reason": "Full CCTV 14:00-14:30 please", "cctv": True},
    )
    assert r.json()["triage_state"] == "info_requested"
    items = client.get("/api/v1/police/queue", {"state": "info_requested"}).json()["items"]
    assert [i["id"] for i in items] == [inc.pk]
    assert Notification.objects.filter(incident=inc, subject__contains="asks for CCTV").count() == 2
    assert TriageEvent.objects.get(incident=inc).action == "request_cctv"
    # The store gets a single-use upload link (the evidence upload link), handed over by the officer.
    from shopwatch.uploads.services.uploaders import upload_link_find

    url = r.json()["upload_link"]
    assert url.startswith("http://testserver/u/")
    token = url.rstrip("/").rsplit("/", 1)[-1]
    link = upload_link_find(token)
    assert link is not None
    assert link.incident_id == inc.pk
    assert link.note == "Full CCTV 14:00-14:30 please"
    assert not Notification.objects.filter(body__contains=token).exists()
    info = client.post(
        f"/api/v1/incidents/{inc.pk}/triage", {"decision": "request_info", "reason": "Who served them?"}
    )
    assert info.json()["upload_link"] is None


def test_assign_take_and_attendance(world: World, api: Callable[[str], ApiClient]) -> None:
    inc = _sent(world)
    officer = world.users["police_sussex"]
    r = api("police_sussex").post(
        f"/api/v1/incidents/{inc.pk}/assign", {"assignee": world.users["police_tv"].pk}
    )
    assert r.status_code == 403  # only supervisors assign to others
    r = api("supervisor_sussex").post(
        f"/api/v1/incidents/{inc.pk}/assign", {"assignee": world.users["police_tv"].pk}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "assignee"
    r = api("supervisor_sussex").post(f"/api/v1/incidents/{inc.pk}/assign", {"assignee": officer.pk})
    assert r.json()["triage_state"] == "assigned"
    mine = api("police_sussex").get("/api/v1/police/queue", {"assigned": "me"}).json()["items"]
    assert [i["id"] for i in mine] == [inc.pk]
    assert mine[0]["assigned_to"] == officer.pk
    viewer = world.viewer("police_sussex")
    with pytest.raises(ServiceError) as exc:
        triage.triage_record_attendance(
            viewer=viewer, incident=inc, attended_at=timezone.now() + dt.timedelta(hours=2)
        )
    assert exc.value.errors[0].field == "attended_at"
    t = triage.triage_record_attendance(viewer=viewer, incident=inc, attended_at=timezone.now())
    assert t.attended_by_id == officer.pk


def test_supervisor_sees_workload_per_officer_and_ageing(world: World) -> None:
    a, b, c = _sent(world), _sent(world), _sent(world)
    _age(c, 24 * 10)
    sup = world.viewer("supervisor_sussex")
    triage.triage_assign(viewer=sup, incident=a, assignee_id=world.users["police_sussex"].pk)
    triage.triage_assign(viewer=sup, incident=b, assignee_id=world.users["police_sussex"].pk)
    loads, bands = workload(viewer=sup)
    by_officer = {(w.officer.email if w.officer else None): w.open_count for w in loads}
    assert by_officer == {"police_sussex@example.org": 2, None: 1}
    assert dict(bands) == {
        "Under 24 hours": 2,
        "1 to 3 days": 0,
        "3 to 7 days": 0,
        "7 to 28 days": 1,
        "Over 28 days": 0,
    }
    with pytest.raises(ServiceError):
        workload(viewer=world.viewer("police_sussex"))


def test_queue_query_count_does_not_grow_with_rows(world: World) -> None:
    for _ in range(3):
        _sent(world)
    viewer = world.viewer("police_sussex")
    with CaptureQueriesContext(connection) as few:
        queue_page(viewer=viewer, after=None, limit=50)
    for _ in range(12):
        _sent(world)
    with CaptureQueriesContext(connection) as many:
        rows, _ = queue_page(viewer=viewer, after=None, limit=50)
        [r.incident.store.name for r in rows]
    assert len(rows) == 15
    assert len(many) == len(few) <= 3


def test_queue_web_page_lists_and_decides(world: World, web: Callable[[str], Client]) -> None:
    inc = _sent(world, type="violence", flags=["violence"])
    client = web("police_sussex")
    page = client.get("/police/queue/")
    assert page.status_code == 200
    assert inc.reference in page.content.decode()
    detail = client.get(f"/police/incidents/{inc.pk}/")
    assert detail.status_code == 200
    bad = client.post(f"/police/incidents/{inc.pk}/decide/", {"decision-decision": "reject"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_decision-reason"' in html
    ok = client.post(
        f"/police/incidents/{inc.pk}/decide/",
        {"decision-decision": "reject", "decision-reason": "Duplicate of another report"},
    )
    assert ok.status_code == 302
    assert Triage.objects.get(incident=inc).state == TriageState.REJECTED
    assert web("police_tv").get(f"/police/incidents/{inc.pk}/").status_code == 404
    assert web("reporter").get("/police/queue/").status_code == 404

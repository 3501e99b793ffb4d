"""The force's signed callback, feedback to the store, outcomes and their rates."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.core.errors import ValidationFailed
from shopwatch.policing.models import CrimeRecord, CrimeRecordChange, Notification
from shopwatch.policing.selectors.feedback import police_feedback
from shopwatch.policing.selectors.outcomes import outcome_rates, rates_total
from shopwatch.policing.services import handoff, records, triage
from shopwatch.policing.services.common import system_viewer
from shopwatch.reporting.models import Incident, IncidentStatus
from tests.api.support import ApiClient
from tests.world import World

SUSSEX_SECRET = "sussex-rms-shared-secret-0001"
TV_SECRET = "thames-valley-rms-secret-0002"


@pytest.fixture
def forces(world: World) -> None:
    for slug, secret in (("sussex", SUSSEX_SECRET), ("thames-valley", TV_SECRET)):
        handoff.endpoint_configure(
            viewer=system_viewer(force_id=None),
            force=world.orgs[slug],
            url=f"https://rms.{slug}.example/in",
            secret=secret,
            check_role=False,
        )


def _accepted(world: World, store: str = "nw-brighton") -> Incident:
    inc = world.report(
        "reporter" if store == "nw-brighton" else "unconnected_reporter", store, report_to_police=True
    )
    officer = "police_sussex" if store == "nw-brighton" else "police_tv"
    triage.triage_decide(viewer=world.viewer(officer), incident=inc, decision="accept")
    return inc


def _post(body: dict[str, Any] | bytes, secret: str | None, signature: str | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if secret is not None:
        headers["X-ShopWatch-Signature"] = (
            "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        )
    if signature is not None:
        headers["X-ShopWatch-Signature"] = signature
    return Client().generic(
        "POST", "/api/v1/handoff/callback", raw, content_type="application/json", headers=headers
    )


def test_signed_callback_sets_crime_reference_seen_by_the_store(
    world: World,
    forces: None,
    api: Callable[[str], ApiClient],
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    inc = _accepted(world)
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(
            {"incident": inc.pk, "crime_reference": "47250012345", "status": "crime_recorded"}, SUSSEX_SECRET
        )
    assert r.status_code == 200, r.content
    assert r.json() == {
        "incident": inc.pk,
        "applied": True,
        "duplicate": False,
        "crime_reference": "47250012345",
        "status": "crime_recorded",
        "warnings": [],
    }
    store_view = api("reporter").get(f"/api/v1/incidents/{inc.pk}").json()
    assert store_view["crime_reference"] == "47250012345"
    assert store_view["status"] == IncidentStatus.CRIME_RECORDED
    feedback = police_feedback(viewer=world.viewer("manager"), incident_id=inc.pk)
    assert feedback is not None
    assert (feedback.crime_reference, feedback.status_label) == ("47250012345", "Crime recorded")
    assert any("47250012345" in m.body for m in mailoutbox)
    assert (
        Notification.objects.filter(incident=inc, body__contains="Crime reference: 47250012345").count() == 2
    )


def test_duplicate_callback_does_not_apply_twice(world: World, forces: None) -> None:
    inc = _accepted(world)
    body = {"incident": inc.pk, "crime_reference": "47250012345", "status": "crime_recorded"}
    assert _post(body, SUSSEX_SECRET).json()["applied"] is True
    again = _post(body, SUSSEX_SECRET)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["applied"] is False
    # Same facts in a differently written body: recognised as no change.
    spaced = json.dumps(body, indent=2).encode()
    assert _post(spaced, SUSSEX_SECRET).json()["applied"] is False
    assert CrimeRecordChange.objects.filter(incident=inc).count() == 1
    assert Notification.objects.filter(incident=inc, subject__contains="police update").count() == 2


@pytest.mark.parametrize("how", ["unsigned", "wrong-secret", "garbage", "other-force"])
def test_unsigned_or_wrongly_signed_callback_is_refused_and_logged(
    world: World, forces: None, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    inc = _accepted(world)
    body = {"incident": inc.pk, "crime_reference": "47250012345", "status": "crime_recorded"}
    with caplog.at_level(logging.WARNING, logger="shopwatch.policing.callback"):
        if how == "unsigned":
            r = _post(body, None)
        elif how == "wrong-secret":
            r = _post(body, "not-the-secret-at-all-000")
        elif how == "garbage":
            r = _post(body, None, signature="sha256=zz")
        else:
            r = _post(body, TV_SECRET)  # a real force's secret, but the incident is not that force's
    if how == "other-force":
        assert r.status_code == 404
    else:
        assert r.status_code == 401
        assert r["Content-Type"] == "application/problem+json"
        assert "refused" in caplog.text
    assert not CrimeRecord.objects.filter(incident=inc).exists()
    assert Incident.objects.get(pk=inc.pk).crime_reference == ""


def test_callback_body_errors_are_specific(world: World, forces: None) -> None:
    inc = _accepted(world)
    r = _post({"incident": str(inc.pk), "status": "solved", "extra": 1}, SUSSEX_SECRET)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"incident", "crime_reference", "status", "extra"}
    r = _post(b"[1, 2", SUSSEX_SECRET)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body"
    r = _post({"incident": inc.pk, "crime_reference": "", "status": "crime_recorded"}, SUSSEX_SECRET)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "crime_reference"


def test_crime_reference_already_used_in_the_force_is_flagged(world: World, forces: None) -> None:
    first, second = _accepted(world), _accepted(world)
    _post({"incident": first.pk, "crime_reference": "47250012345", "status": "crime_recorded"}, SUSSEX_SECRET)
    r = _post(
        {"incident": second.pk, "crime_reference": "47250012345", "status": "crime_recorded"}, SUSSEX_SECRET
    )
    assert r.status_code == 200
    assert [w["field"] for w in r.json()["warnings"]] == ["crime_reference"]
    assert CrimeRecord.objects.get(incident=second).reference_clash is True
    assert CrimeRecord.objects.get(incident=first).reference_clash is False


def test_later_status_changes_reach_the_store(world: World, forces: None) -> None:
    inc = _accepted(world)
    _post({"incident": inc.pk, "crime_reference": "X1", "status": "crime_recorded"}, SUSSEX_SECRET)
    _post({"incident": inc.pk, "crime_reference": "X1", "status": "under_investigation"}, SUSSEX_SECRET)
    _post({"incident": inc.pk, "crime_reference": "X1", "status": "charged"}, SUSSEX_SECRET)
    feedback = police_feedback(viewer=world.viewer("reporter"), incident_id=inc.pk)
    assert feedback is not None
    assert [h.status for h in feedback.history] == ["crime_recorded", "under_investigation", "charged"]


def test_outcome_contradicting_status_is_refused_with_a_clear_message(world: World, forces: None) -> None:
    inc = _accepted(world)
    viewer = world.viewer("police_sussex")
    with pytest.raises(ValidationFailed) as exc:
        records.outcome_record(viewer=viewer, incident=inc, outcome="3")
    assert exc.value.errors[0].field == "crime_reference"
    _post({"incident": inc.pk, "crime_reference": "X1", "status": "no_crime"}, SUSSEX_SECRET)
    with pytest.raises(ValidationFailed) as exc:
        records.outcome_record(viewer=viewer, incident=inc, outcome="1")
    assert "no crime" in exc.value.errors[0].message.lower()
    _post({"incident": inc.pk, "crime_reference": "X1", "status": "charged"}, SUSSEX_SECRET)
    with pytest.raises(ValidationFailed) as exc:
        records.outcome_record(viewer=viewer, incident=inc, outcome="3")
    assert exc.value.errors[0].message.startswith("The crime is recorded as charged")
    with pytest.raises(ValidationFailed) as exc:
        records.outcome_record(viewer=viewer, incident=inc, outcome="1", cbo_granted=True)
    assert exc.value.errors[0].field == "cbo_granted"
    result = records.outcome_record(
        viewer=viewer, incident=inc, outcome="1", cbo_applied=True, cbo_granted=True
    )
    assert result.record.status == "charged"
    assert result.record.outcome == "1"
    inc.refresh_from_db()
    assert inc.status == IncidentStatus.OUTCOME
    # The force then says "no crime": contradicts the recorded charge, refused with 409 and the reason.
    # (A repeat of the earlier no_crime body would be answered as a duplicate; this one is new.)
    r = _post(
        {"incident": inc.pk, "crime_reference": "X1", "status": "no_crime", "note": "Reviewed"}, SUSSEX_SECRET
    )
    assert r.status_code == 409
    assert "cannot have an outcome" in r.json()["errors"][0]["message"]


def test_outcome_through_the_api_and_web(world: World, forces: None, api: Callable[[str], ApiClient]) -> None:
    inc = _accepted(world)
    client = api("police_sussex")
    r = client.post(
        f"/api/v1/incidents/{inc.pk}/crime-record", {"crime_reference": "x 1", "status": "crime_recorded"}
    )
    assert r.status_code == 200
    assert r.json()["crime_reference"] == "X 1"
    r = client.post(f"/api/v1/incidents/{inc.pk}/crime-record", {"outcome": "99"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "outcome"
    assert (
        api("reporter").post(f"/api/v1/incidents/{inc.pk}/crime-record", {"outcome": "8"}).status_code == 404
    )
    from tests.policing.conftest import signed_in

    web = signed_in(world, "police_sussex")
    r = web.post(f"/police/incidents/{inc.pk}/outcome/", {"outcome-outcome": "8"})
    assert r.status_code == 302
    assert CrimeRecord.objects.get(incident=inc).outcome == "8"
    page = signed_in(world, "police_sussex").get(f"/police/incidents/{inc.pk}/").content.decode()
    assert "8 Community resolution" in page


def _with_outcome(
    world: World, when: dt.datetime, *, reviewed: bool, outcome: str | None, store: str = "nw-brighton"
) -> Incident:
    reporter = {"nw-brighton": "reporter", "kiosk-crawley": "connected_reporter"}[store]
    inc = world.report(reporter, store, report_to_police=True, occurred_at=when)
    if reviewed:
        triage.triage_decide(viewer=world.viewer("police_sussex"), incident=inc, decision="accept")
    if outcome:
        viewer = world.viewer("police_sussex")
        records.crime_record_update(
            viewer=viewer, incident=inc, crime_reference=f"C{inc.pk}", status="crime_recorded"
        )
        records.outcome_record(viewer=viewer, incident=inc, outcome=outcome)
    return inc


def test_solved_and_positive_rates_reviewed_against_unreviewed(world: World) -> None:
    tz = timezone.get_current_timezone()
    jan = dt.datetime(2026, 1, 10, 12, tzinfo=tz)
    feb = dt.datetime(2026, 2, 10, 12, tzinfo=tz)
    Store = type(world.stores["kiosk-crawley"])
    Store.objects.filter(pk=world.stores["kiosk-crawley"].pk).update(town="Crawley")
    # January, Town: 3 reviewed (charge, caution, no suspect), 2 unreviewed (diversion, none).
    _with_outcome(world, jan, reviewed=True, outcome="1")
    _with_outcome(world, jan, reviewed=True, outcome="3")
    _with_outcome(world, jan, reviewed=True, outcome="18")
    _with_outcome(world, jan, reviewed=False, outcome="22")
    _with_outcome(world, jan, reviewed=False, outcome=None)
    # February, Crawley: 1 reviewed (community resolution), 1 unreviewed (evidential difficulties).
    _with_outcome(world, feb, reviewed=True, outcome="8", store="kiosk-crawley")
    _with_outcome(world, feb, reviewed=False, outcome="15", store="kiosk-crawley")

    rows = outcome_rates(viewer=world.viewer("police_sussex"))
    got = {(r.period.isoformat(), r.area): r for r in rows}
    assert set(got) == {("2026-01-01", "Town"), ("2026-02-01", "Crawley")}
    jan_town = got[("2026-01-01", "Town")]
    assert (jan_town.reviewed, jan_town.unreviewed) == (3, 2)
    assert jan_town.reviewed_solved_rate == 66.7
    assert jan_town.reviewed_positive_rate == 66.7
    assert jan_town.unreviewed_solved_rate == 50.0
    assert jan_town.unreviewed_positive_rate == 0.0
    feb_crawley = got[("2026-02-01", "Crawley")]
    assert feb_crawley.reviewed_solved_rate == 100.0
    assert feb_crawley.unreviewed_solved_rate == 0.0
    total = rates_total(rows)
    assert (total.reviewed, total.unreviewed) == (4, 3)
    assert total.reviewed_solved_rate == 75.0
    assert total.unreviewed_solved_rate == 33.3
    quarter = outcome_rates(viewer=world.viewer("police_sussex"), period="quarter", area="force")
    assert [(r.period.isoformat(), r.area, r.total) for r in quarter] == [("2026-01-01", "Sussex Police", 7)]
    feb_only = outcome_rates(
        viewer=world.viewer("police_sussex"), date_from=dt.datetime(2026, 2, 1, tzinfo=tz)
    )
    assert [r.area for r in feb_only] == ["Crawley"]
    assert outcome_rates(viewer=world.viewer("police_tv")) == []
    from tests.policing.conftest import signed_in

    page = signed_in(world, "police_sussex").get("/police/outcomes/?period=month&area=town")
    assert page.status_code == 200
    assert "66.7%" in page.content.decode()


def test_store_incident_page_snippet_shows_police_feedback(world: World, forces: None) -> None:
    from django.template import Context, RequestContext, Template
    from django.test import RequestFactory

    inc = _accepted(world)
    _post(
        {"incident": inc.pk, "crime_reference": "47250099999", "status": "under_investigation"}, SUSSEX_SECRET
    )
    template = Template("{% load policing %}{% police_feedback incident %}")
    request = RequestFactory().get("/")
    request.user = world.users["manager"]
    html = template.render(RequestContext(request, {"incident": inc}))
    assert "47250099999" in html
    assert "Under investigation" in html
    request.user = world.users["unconnected_reporter"]
    assert "47250099999" not in template.render(RequestContext(request, {"incident": inc}))
    not_sent = world.report("reporter", "nw-brighton")
    request.user = world.users["reporter"]
    assert "Police" not in template.render(RequestContext(request, {"incident": not_sent}))
    assert (
        Template("{% load policing %}{% police_feedback incident %}")
        .render(Context({"incident": inc}))
        .strip()
        == ""
    )


def test_store_system_reads_police_feedback_through_the_api(
    world: World, forces: None, api: Callable[[str], ApiClient]
) -> None:
    inc = _accepted(world)
    _post({"incident": inc.pk, "crime_reference": "X9", "status": "crime_recorded"}, SUSSEX_SECRET)
    records.outcome_record(viewer=world.viewer("police_sussex"), incident=inc, outcome="8")
    body = api("reporter").get(f"/api/v1/incidents/{inc.pk}/police-feedback").json()
    assert body["review"] == "accepted"
    assert (body["crime_reference"], body["status"], body["outcome"]) == ("X9", "closed", "8")
    assert body["outcome_label"] == "8 Community resolution"
    assert api("unconnected_reporter").get(f"/api/v1/incidents/{inc.pk}/police-feedback").status_code == 404
    not_sent = world.report("reporter", "nw-brighton")
    assert (
        api("reporter").get(f"/api/v1/incidents/{not_sent.pk}/police-feedback").json()["sent_to_police"]
        is False
    )
    r = api("police_sussex").post(f"/api/v1/incidents/{inc.pk}/attendance", {"note": "Spoke to the manager"})
    assert r.status_code == 200
    assert r.json()["attended_by"] == world.users["police_sussex"].pk
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = api("police_sussex").post(f"/api/v1/incidents/{inc.pk}/attendance", {"attended_at": future})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "attended_at"


def _refusals() -> list[Any]:
    from shopwatch.core.models import AuditEvent
    from shopwatch.policing.models import CALLBACK_REFUSED

    return list(AuditEvent.objects.filter(object_type=CALLBACK_REFUSED).order_by("id"))


@pytest.mark.parametrize(
    ("how", "status", "force"),
    [
        ("unsigned", 401, "sussex"),
        ("wrong-secret", 401, "sussex"),
        ("unsigned-garbage", 401, None),
        ("bad-body", 422, "sussex"),
        ("unknown-incident", 404, "sussex"),
        ("other-force", 404, "thames-valley"),
    ],
)
def test_refused_callbacks_are_in_the_audit_trail_of_the_force(
    world: World, forces: None, how: str, status: int, force: str | None
) -> None:
    inc = _accepted(world)
    body: dict[str, Any] | bytes = {
        "incident": inc.pk,
        "crime_reference": "4725001",
        "status": "crime_recorded",
    }
    if how == "unsigned":
        r = _post(body, None)
    elif how == "wrong-secret":
        r = _post(body, "not-the-secret-at-all-000")
    elif how == "unsigned-garbage":
        r = _post(b"\xff not json", None, signature="sha256=00")
    elif how == "bad-body":
        r = _post({"incident": inc.pk, "status": "solved"}, SUSSEX_SECRET)
    elif how == "unknown-incident":
        r = _post({**body, "incident": inc.pk + 1000}, SUSSEX_SECRET)  # type: ignore[dict-item]
    else:
        r = _post(body, TV_SECRET)
    assert r.status_code == status
    [event] = _refusals()
    assert event.organisation_id == (world.orgs[force].pk if force else None)
    assert event.detail["status"] == status
    assert event.detail["remote"] == "127.0.0.1"
    assert f"({status})" in event.summary
    # The store sees it in its partnership's trail only when the body named its incident and that was not
    # answered by another force's system.
    named = how in ("unsigned", "wrong-secret")
    assert event.store_id == (inc.store_id if named else None)
    if how == "bad-body":
        assert {e["field"] for e in event.detail["errors"]} == {"crime_reference", "status"}
    assert not CrimeRecord.objects.filter(incident=inc).exists()


def test_a_contradicting_callback_is_refused_and_seen_by_the_force_and_the_partnership(
    world: World, forces: None
) -> None:
    from shopwatch.core.selectors import audit_trail_for_partnership
    from tests.policing.conftest import signed_in

    inc = _accepted(world)
    _post({"incident": inc.pk, "crime_reference": "X1", "status": "charged"}, SUSSEX_SECRET)
    records.outcome_record(viewer=world.viewer("police_sussex"), incident=inc, outcome="1")
    r = _post({"incident": inc.pk, "crime_reference": "X1", "status": "no_crime"}, SUSSEX_SECRET)
    assert r.status_code == 409
    [event] = _refusals()
    assert (event.organisation_id, event.store_id, event.object_id) == (
        world.orgs["sussex"].pk,
        inc.store_id,
        str(inc.pk),
    )
    assert "cannot have an outcome" in event.summary
    trail = audit_trail_for_partnership(
        viewer=world.viewer("partnership_manager"), partnership_id=world.orgs["brighton-bcrp"].pk
    )
    assert event in list(trail)
    page = signed_in(world, "supervisor_sussex").get("/police/handoff/deliveries/").content.decode()
    assert "Refused callbacks" in page
    assert "cannot have an outcome" in page
    other = signed_in(world, "police_tv").get("/police/handoff/deliveries/").content.decode()
    assert "cannot have an outcome" not in other
    # The refusal wrote nothing else: the record is as it was.
    assert CrimeRecord.objects.get(incident=inc).status == "charged"

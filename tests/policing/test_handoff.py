"""Hand-off to the force's crime recording, against a real HTTP endpoint on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from shopwatch.core.models import AuditEvent, Distribution
from shopwatch.policing.models import Delivery, DeliveryStatus, ForceEndpoint
from shopwatch.policing.payload import PAYLOAD_VERSION
from shopwatch.policing.services import handoff, triage
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput, VehicleInput
from shopwatch.subjects.services import person_create
from tests.api.support import ApiClient
from tests.policing.conftest import Receiver
from tests.world import World

SECRET = "sussex-rms-shared-secret-0001"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _configure(world: World, receiver: Receiver) -> None:
    call_command(
        "handoff_configure",
        "--force",
        "sussex",
        "--url",
        receiver.url,
        "--secret",
        SECRET,
        stdout=io.StringIO(),
    )


def _accept(world: World, inc: Incident, capture: Any) -> Delivery:
    with capture(execute=True):
        triage.triage_decide(viewer=world.viewer("police_sussex"), incident=inc, decision="accept")
    return Delivery.objects.get(incident=inc)


def _incident(world: World) -> Incident:
    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Danny",
        family_name="Fletcher",
        aliases=["Fletch"],
        # Shared with police, so the force may see who they are (test_linked_person_visibility.py).
        distribution=Distribution.POLICE,
    )
    inc = world.report(
        "reporter",
        "nw-brighton",
        report_to_police=True,
        offenders=[OffenderInput(person_id=person.pk, description="Grey hoodie")],
        vehicles=[VehicleInput(registration="AB12 CDE", description="Blue Corsa")],
    )
    from shopwatch.evidence.services import evidence_add
    from tests.evidence.images import jpeg_bytes

    evidence_add(
        viewer=world.viewer("reporter"),
        incident=inc,
        fileobj=io.BytesIO(jpeg_bytes(size=(64, 48))),
        filename="till.jpg",
    )
    return inc


def test_accepted_incident_is_delivered_signed_and_pole_shaped(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _configure(world, receiver)
    inc = _incident(world)
    delivery = _accept(world, inc, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 202
    [got] = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["signature"] == expected
    assert got["content_type"] == "application/json"
    doc = json.loads(got["body"])
    assert doc["version"] == PAYLOAD_VERSION
    assert doc["source"]["reference"] == inc.reference
    assert doc["event"]["id"] == "E1"
    assert doc["event"]["type"] == "theft"
    suspect = next(p for p in doc["people"] if p["role"] == "suspect")
    assert suspect["family_name"] == "Fletcher"
    assert suspect["aliases"] == ["Fletch"]
    assert [o["registration"] for o in doc["objects"] if o["kind"] == "vehicle"] == ["AB12CDE"]
    assert doc["locations"][0]["postcode"] == "BN1 1AA"
    from shopwatch.evidence.models import EvidenceFile

    stored = EvidenceFile.objects.get(incident=inc)
    assert [(e["sha256"], e["filename"]) for e in doc["evidence"]] == [(stored.sha256, "till.jpg")]
    assert {"from": "X1", "to": "E1", "relation": "evidence_of"} in doc["links"]


def test_server_error_is_retried_with_backoff_and_recovers(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _configure(world, receiver)
    receiver.mode = "error"
    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    delivery = _accept(world, inc, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert "HTTP 500" in delivery.last_error
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at  # type: ignore[operator]
    assert dt.timedelta(seconds=1) <= first_wait <= dt.timedelta(seconds=10)  # first retry within seconds

    # Not due yet: nothing is sent.
    assert handoff.deliveries_send_due(now=delivery.last_attempt_at) == []
    later = delivery.next_attempt_at
    assert later is not None
    results = handoff.deliveries_send_due(now=later)
    assert [r.status for r in results] == ["pending"]
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - delivery.last_attempt_at > first_wait  # type: ignore[operator]

    receiver.mode = "ok"
    results = handoff.deliveries_send_due(now=delivery.next_attempt_at)
    assert [r.status for r in results] == ["delivered"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    assert delivery.last_error == ""
    assert len(receiver.received) == 3
    assert len({r["body"] for r in receiver.received}) == 1  # every try carries the same signed body


def test_timeout_keeps_the_handoff_queued(
    world: World, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SHOPWATCH_HANDOFF_TIMEOUT_SECONDS = 0.3
    receiver.mode, receiver.slow_seconds = "slow", 1.5
    _configure(world, receiver)
    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    delivery = _accept(world, inc, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error == handoff.UNREACHABLE  # the reason is in the server log only
    assert delivery.next_attempt_at is not None


def test_keeps_retrying_for_24_hours_then_dead_letters_and_replays(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any, api: Callable[[str], ApiClient]
) -> None:
    _configure(world, receiver)
    receiver.mode = "error"
    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    delivery = _accept(world, inc, django_capture_on_commit_callbacks)
    start = delivery.retry_window_from
    now = start
    while True:
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            break
        now = delivery.next_attempt_at  # type: ignore[assignment]
        handoff.deliveries_send_due(now=now)
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.dead_at is not None
    assert delivery.dead_at - start >= dt.timedelta(hours=24)
    assert delivery.dead_at - start < dt.timedelta(hours=26)
    assert 10 <= delivery.attempts <= 40
    assert AuditEvent.objects.filter(
        object_type="handoff_delivery", summary__contains="dead-lettered"
    ).exists()

    client = api("police_sussex")
    from tests.policing.conftest import signed_in

    web = signed_in(world, "police_sussex")
    page = web.get("/police/handoff/deliveries/?status=dead")
    assert inc.reference in page.content.decode()
    receiver.mode = "ok"
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(f"/police/handoff/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (
        client.post(f"/api/v1/incidents/{inc.pk}/triage", {"decision": "accept"}).json()["handoff"]
        == "delivered"
    )
    # Another force's staff cannot replay it.
    assert (
        signed_in(world, "police_tv").post(f"/police/handoff/deliveries/{delivery.pk}/replay/").status_code
        == 404
    )


def test_unreachable_endpoint_error_is_recorded_generically(
    world: World, settings: Any, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True
    call_command(
        "handoff_configure",
        "--force",
        "sussex",
        "--url",
        "http://127.0.0.1:9/nothing",
        "--secret",
        SECRET,
        stdout=io.StringIO(),
    )
    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    with caplog.at_level(logging.WARNING, logger="shopwatch.policing.handoff"):
        delivery = _accept(world, inc, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == handoff.UNREACHABLE
    assert "refused" in caplog.text.lower()  # the detail is in the server log


def test_send_due_command_sends_what_is_due(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _configure(world, receiver)
    receiver.mode = "error"
    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    delivery = _accept(world, inc, django_capture_on_commit_callbacks)
    receiver.mode = "ok"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    out = io.StringIO()
    call_command("handoff_send_due", stdout=out)
    assert "1 delivered" in out.getvalue()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_configure_command_checks_its_input(world: World) -> None:
    with pytest.raises(CommandError, match="secret"):
        call_command(
            "handoff_configure", "--force", "sussex", "--url", "https://rms.example/x", "--secret", "short"
        )
    with pytest.raises(CommandError, match="url"):
        call_command(
            "handoff_configure", "--force", "sussex", "--url", "ftp://rms.example/x", "--secret", SECRET
        )
    with pytest.raises(CommandError, match="not a police force"):
        call_command(
            "handoff_configure", "--force", "northway", "--url", "https://rms.example/x", "--secret", SECRET
        )
    with pytest.raises(CommandError, match="No organisation"):
        call_command(
            "handoff_configure", "--force", "nowhere", "--url", "https://rms.example/x", "--secret", SECRET
        )
    assert not ForceEndpoint.objects.exists()


def test_settings_page_for_supervisors(world: World) -> None:
    from tests.policing.conftest import signed_in

    sup = signed_in(world, "supervisor_sussex")
    bad = sup.post("/police/handoff/settings/", {"url": "not a url", "secret": "short"})
    assert bad.status_code == 422
    assert "There is a problem" in bad.content.decode()
    ok = sup.post("/police/handoff/settings/", {"url": "https://rms.sussex.example/in", "secret": SECRET})
    assert ok.status_code == 302
    endpoint = ForceEndpoint.objects.get(force=world.orgs["sussex"])
    assert endpoint.url == "https://rms.sussex.example/in"
    assert endpoint.secret == SECRET
    assert SECRET not in sup.get("/police/handoff/settings/").content.decode()
    officer = signed_in(world, "police_sussex").post(
        "/police/handoff/settings/", {"url": "https://evil.example/", "secret": SECRET + "x"}
    )
    assert officer.status_code == 422
    endpoint.refresh_from_db()
    assert endpoint.url == "https://rms.sussex.example/in"


def test_export_file_is_the_same_payload(world: World) -> None:
    from tests.policing.conftest import signed_in

    inc = _incident(world)
    response = signed_in(world, "police_sussex").get(f"/police/incidents/{inc.pk}/handoff.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    doc = json.loads(response.content)
    assert doc["version"] == PAYLOAD_VERSION
    assert doc["source"]["incident_id"] == inc.pk
    assert AuditEvent.objects.filter(action="export", object_id=str(inc.pk)).exists()
    assert signed_in(world, "police_tv").get(f"/police/incidents/{inc.pk}/handoff.json").status_code == 404

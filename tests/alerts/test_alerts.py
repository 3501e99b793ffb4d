"""Live area alerts: who they reach, who may raise them, delivery by stream, email and web push."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Generator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, cast

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.db import connection
from django.test import Client

from shopwatch.alerts.broadcaster import broadcaster
from shopwatch.alerts.models import Alert, AlertPreference, AlertReceipt, AreaMode, PushSubscription
from shopwatch.alerts.selectors import alert_recipient_ids, stream_recipient_ids
from shopwatch.alerts.services import alert_raise
from shopwatch.alerts.stream import _sync_events
from shopwatch.core.apikeys import apikey_create
from shopwatch.core.entitlements import scope
from shopwatch.core.errors import NotEntitled
from shopwatch.core.models import User
from shopwatch.reporting.models import Incident
from tests.world import World


def _key(world: World, user: str) -> str:
    return apikey_create(viewer=world.viewer(user), user=world.users[user], name="alerts").secret


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("flags", "alerted"),
    [
        (["violence"], True),
        (["weapon"], True),
        (["offender_nearby"], True),
        (["staff_injured"], False),
        ([], False),
    ],
)
def test_urgent_reports_raise_an_alert(world: World, flags: list[str], alerted: bool) -> None:
    inc = world.report("reporter", "nw-brighton", flags=flags)
    alerts = Alert.objects.filter(incident=inc)
    assert alerts.exists() is alerted
    if alerted:
        assert inc.reference in alerts.get().message


@pytest.mark.django_db
def test_alert_reaches_the_partnership_never_an_unconnected_one(world: World) -> None:
    inc = world.report("reporter", "nw-brighton", flags=["violence"])
    alert = Alert.objects.get(incident=inc)
    names = {n for n, u in world.users.items() if u.pk in alert_recipient_ids(alert)}
    assert {
        "manager",
        "other_store_reporter",
        "security",
        "same_partnership_reporter",
        "partnership_manager",
    } <= names
    assert "reporter" not in names  # the person who raised it
    assert not names & {
        "unconnected_reporter",
        "unconnected_partnership_manager",
        "connected_reporter",
        "pcc",
        "navigator",
        "police_tv",
    }
    # Everyone it reaches may also see it through the entitlement mechanism.
    for name in names:
        assert scope(Alert.objects.all(), world.viewer(name)).filter(pk=alert.pk).exists(), name
    assert not scope(Alert.objects.all(), world.viewer("unconnected_reporter")).filter(pk=alert.pk).exists()


@pytest.mark.django_db
def test_members_may_narrow_alerts_to_a_radius(world: World) -> None:
    # Hove is about 2.2 km from the Brighton store.
    AlertPreference.objects.create(
        user=world.users["other_store_reporter"], mode=AreaMode.RADIUS, radius_km=1.0
    )
    inc = world.report("reporter", "nw-brighton", flags=["weapon"])
    assert world.users["other_store_reporter"].pk not in alert_recipient_ids(Alert.objects.get(incident=inc))
    AlertPreference.objects.filter(user=world.users["other_store_reporter"]).update(radius_km=5.0)
    assert world.users["other_store_reporter"].pk in alert_recipient_ids(Alert.objects.get(incident=inc))


@pytest.mark.django_db
def test_raising_alerts_by_api_and_who_may(world: World, client: Client) -> None:
    store = world.stores["nw-brighton"].pk
    headers = {"Authorization": f"Bearer {_key(world, 'manager')}"}
    ok = client.post(
        "/api/v1/alerts",
        {"store": store, "message": "Two men with a holdall heading to West St"},
        content_type="application/json",
        headers=headers,
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["message"].startswith("Two men")
    # A member of the same partnership at another retailer sees the store but may not alert its area.
    other = {"Authorization": f"Bearer {_key(world, 'same_partnership_reporter')}"}
    refused = client.post(
        "/api/v1/alerts", {"store": store, "message": "x"}, content_type="application/json", headers=other
    )
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "store"
    stranger = {"Authorization": f"Bearer {_key(world, 'unconnected_reporter')}"}
    unknown = client.post(
        "/api/v1/alerts", {"store": store, "message": "x"}, content_type="application/json", headers=stranger
    )
    assert unknown.status_code == 422
    empty = client.post(
        "/api/v1/alerts", {"store": store, "message": ""}, content_type="application/json", headers=headers
    )
    assert empty.status_code == 422
    with pytest.raises(NotEntitled):
        alert_raise(viewer=world.viewer("same_partnership_reporter"), store_id=store, message="x")
    # Police of the store's force may alert its area.
    alert_raise(viewer=world.viewer("police_sussex"), store_id=store, message="Suspect seen in the Lanes")
    assert Alert.objects.count() == 2


@pytest.mark.django_db
def test_email_to_members_and_acknowledgement(
    world: World, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    AlertPreference.objects.create(user=world.users["manager"], by_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        inc = world.report("reporter", "nw-brighton", flags=["offender_nearby"])
    to = {m.to[0] for m in mail.outbox}
    assert "partnership_manager@example.org" in to
    assert "same_partnership_reporter@example.org" in to
    assert "manager@example.org" not in to
    assert "unconnected_reporter@example.org" not in to
    alert = Alert.objects.get(incident=inc)
    client.force_login(world.users["same_partnership_reporter"])
    page = client.get(f"/alerts/{alert.pk}/")
    assert page.status_code == 200
    client.post(f"/alerts/{alert.pk}/")
    assert AlertReceipt.objects.get(
        alert=alert, user=world.users["same_partnership_reporter"]
    ).acknowledged_at
    stranger = Client()
    stranger.force_login(world.users["unconnected_reporter"])
    assert stranger.get(f"/alerts/{alert.pk}/").status_code == 404


class _PushEndpoint(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.django_db
def test_web_push_is_encrypted_for_the_subscribed_browser(
    world: World, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True  # the push service here is a server on 127.0.0.1
    server = HTTPServer(("127.0.0.1", 0), _PushEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser_key = ec.generate_private_key(ec.SECP256R1())
        public = browser_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = os.urandom(16)

        def b64(b: bytes) -> str:
            return base64.urlsafe_b64encode(b).decode().rstrip("=")

        PushSubscription.objects.create(
            user=world.users["manager"],
            endpoint=f"http://127.0.0.1:{server.server_port}/push/abc",
            p256dh=b64(public),
            auth=b64(auth),
        )
        AlertPreference.objects.create(user=world.users["manager"], by_push=True)
        with django_capture_on_commit_callbacks(execute=True):
            inc = world.report("reporter", "nw-brighton", flags=["violence"])
        assert len(_PushEndpoint.received) == 1
        headers, body = _PushEndpoint.received[0]
        assert headers["content-encoding"] == "aes128gcm"
        assert headers["authorization"].startswith("vapid ")
        plain = http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
        assert json.loads(plain)["incident"] == inc.pk
    finally:
        server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_stream_delivers_to_members_only_and_replays_missed(world: World, live_server: Any) -> None:
    member_key, stranger_key = _key(world, "manager"), _key(world, "unconnected_reporter")
    got: dict[str, list[dict[str, Any]]] = {"member": [], "stranger": []}
    ready = threading.Barrier(3)

    def listen(name: str, key: str, seconds: float) -> None:
        with httpx.stream(
            "GET",
            f"{live_server.url}/api/v1/alerts/stream",
            headers={"Authorization": f"Bearer {key}"},
            timeout=seconds + 5,
        ) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            ready.wait()
            end = time.monotonic() + seconds
            try:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        got[name].append(json.loads(line[6:]))
                        if name == "member":
                            return
                    if time.monotonic() > end:
                        return
            except httpx.ReadTimeout:  # nothing more came: the stream only keeps itself alive
                return

    threads = [
        threading.Thread(target=listen, args=("member", member_key, 8)),
        threading.Thread(target=listen, args=("stranger", stranger_key, 3)),
    ]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.3)
    inc = world.report("reporter", "nw-brighton", flags=["violence"])
    for t in threads:
        t.join()
    assert [e["incident"] for e in got["member"]] == [inc.pk]
    event = got["member"][0]
    assert {"id", "created_at", "message", "incident"} <= set(event)
    assert got["stranger"] == []
    assert AlertReceipt.objects.filter(alert_id=event["id"], user=world.users["manager"]).exists()

    # A page that reconnects with Last-Event-ID gets what it missed.
    second = world.report("reporter", "nw-brighton", flags=["weapon"])
    with httpx.stream(
        "GET",
        f"{live_server.url}/api/v1/alerts/stream",
        headers={"Authorization": f"Bearer {member_key}", "Last-Event-ID": str(event["id"])},
        timeout=10,
    ) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:])["incident"] == second.pk
                break


@pytest.mark.django_db(transaction=True)
def test_an_open_stream_holds_no_database_connection(world: World) -> None:
    """Under WSGI a page's stream keeps its worker thread; it must not keep a database connection too."""
    user_id = world.users["manager"].pk
    assert User.objects.filter(pk=user_id).exists()  # the request's own queries opened the connection
    assert connection.connection is not None
    events = cast("Generator[str, None, None]", _sync_events(user_id, missed=[]))
    try:
        assert next(events) == "retry: 3000\n\n"
        assert connection.connection is None
    finally:
        events.close()


@pytest.mark.django_db(transaction=True)
def test_shutdown_ends_open_streams_and_stops_polling(world: World) -> None:
    before = broadcaster.subscriber_count  # streams other tests' servers left open end here too
    events = _sync_events(world.users["manager"].pk, missed=[])
    ended: list[list[str]] = []
    try:
        assert next(events) == "retry: 3000\n\n"
        reader = threading.Thread(target=lambda: ended.append(list(events)), daemon=True)
        reader.start()
        time.sleep(0.2)
        assert broadcaster.subscriber_count == before + 1
    finally:
        broadcaster.shutdown()
    reader.join(timeout=5)
    assert ended == [[]]  # the stream ended without another frame
    assert broadcaster.subscriber_count == 0
    assert broadcaster._thread is None


@pytest.mark.django_db
def test_stream_requires_authentication(client: Client) -> None:
    r = client.get("/api/v1/alerts/stream")
    assert r.status_code == 401
    assert r["Content-Type"] == "application/problem+json"


# --- Police and the alerts raised in their force area ------------------------------------------------------


def _police_client(world: World, user: str) -> Client:
    from tests.core.support import sign_in_verified

    client = Client()
    sign_in_verified(client, world.users[user])  # police sign in with a second factor
    return client


def _police_sees(world: World, user: str, alert: Alert, client: Client | None = None) -> dict[str, Any]:
    """What a police officer gets for an alert: the page, the list, the API list and the live stream."""
    client = client or _police_client(world, user)
    api = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {_key(world, user)}"})
    assert api.status_code == 200
    return {
        "opens": client.get(f"/alerts/{alert.pk}/").status_code,
        "listed": alert.message in client.get("/alerts/").content.decode(),
        "api": alert.pk in [a["id"] for a in api.json()["items"]],
        "stream": world.users[user].pk in stream_recipient_ids(alert),
    }


SEES = {"opens": 200, "listed": True, "api": True, "stream": True}
HIDDEN = {"opens": 404, "listed": False, "api": False, "stream": False}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user", "report_to_police", "distribution", "expected"),
    [
        # Reported to the police at the time: the force whose area the store is in sees the alert.
        ("police_sussex", True, None, SEES),
        ("supervisor_sussex", True, None, SEES),
        # Another force never does.
        ("police_tv", True, None, HIDDEN),
        # Kept within the partnership (or the organisation): hidden from police, as the incident is.
        ("police_sussex", False, None, HIDDEN),
        ("police_sussex", False, "partnership", HIDDEN),
        ("police_sussex", False, "organisation", HIDDEN),
        ("police_tv", False, None, HIDDEN),
        # Distributed to police without being reported to them: the force sees the incident, so its alert.
        ("police_sussex", False, "police", SEES),
        ("police_tv", False, "police", HIDDEN),
    ],
)
def test_police_see_alerts_from_incidents_in_their_force_area_that_reach_them(
    world: World, user: str, report_to_police: bool, distribution: str | None, expected: dict[str, Any]
) -> None:
    kw: dict[str, Any] = {"flags": ["violence"], "report_to_police": report_to_police}
    if distribution:
        kw["distribution"] = distribution
    inc = world.report("reporter", "nw-brighton", **kw)
    alert = Alert.objects.get(incident=inc)
    assert _police_sees(world, user, alert) == expected
    # An officer sees the alert exactly when they see its incident.
    sees_incident = scope(Incident.objects.all(), world.viewer(user)).filter(pk=inc.pk).exists()
    assert sees_incident == expected["listed"]
    # Police read alerts on open pages; email and push stay with the area's members.
    assert world.users[user].pk not in alert_recipient_ids(alert)
    # The members of the area see it whatever police see.
    assert scope(Alert.objects.all(), world.viewer("same_partnership_reporter")).filter(pk=alert.pk).exists()


@pytest.mark.django_db
def test_an_incident_sent_to_police_later_brings_its_alert_to_the_force(world: World) -> None:
    from shopwatch.reporting.services import incident_send_to_police

    inc = world.report("reporter", "nw-brighton", flags=["weapon"])
    alert = Alert.objects.get(incident=inc)
    sussex = _police_client(world, "police_sussex")
    assert _police_sees(world, "police_sussex", alert, sussex) == HIDDEN
    incident_send_to_police(viewer=world.viewer("reporter"), incident=inc)
    assert _police_sees(world, "police_sussex", alert, sussex) == SEES
    assert _police_sees(world, "police_tv", alert) == HIDDEN


@pytest.mark.django_db
def test_everyone_an_alert_streams_to_may_open_it(world: World) -> None:
    inc = world.report("reporter", "nw-brighton", flags=["violence"], report_to_police=True)
    alert = Alert.objects.get(incident=inc)
    names = {n for n, u in world.users.items() if u.pk in stream_recipient_ids(alert)}
    assert {"police_sussex", "supervisor_sussex", "analyst_sussex", "partnership_manager"} <= names
    assert not names & {"police_tv", "reporter", "unconnected_reporter", "pcc", "navigator"}
    for name in names:
        assert scope(Alert.objects.all(), world.viewer(name)).filter(pk=alert.pk).exists(), name


@pytest.mark.django_db(transaction=True)
def test_stream_delivers_reported_incident_alerts_to_police_of_the_force_only(
    world: World, live_server: Any
) -> None:
    keys = {"sussex": _key(world, "police_sussex"), "thames": _key(world, "police_tv")}
    got: dict[str, list[dict[str, Any]]] = {"sussex": [], "thames": []}
    ready = threading.Barrier(3)

    def listen(name: str, seconds: float) -> None:
        with httpx.stream(
            "GET",
            f"{live_server.url}/api/v1/alerts/stream",
            headers={"Authorization": f"Bearer {keys[name]}"},
            timeout=seconds,
        ) as r:
            assert r.status_code == 200
            ready.wait()
            try:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        got[name].append(json.loads(line[6:]))
                        if name == "sussex":
                            return
            except httpx.ReadTimeout:  # nothing more came: the stream only keeps itself alive
                return

    threads = [
        threading.Thread(target=listen, args=("sussex", 8)),
        threading.Thread(target=listen, args=("thames", 3)),
    ]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.3)
    inc = world.report("reporter", "nw-brighton", flags=["weapon"], report_to_police=True)
    for t in threads:
        t.join()
    assert [e["incident"] for e in got["sussex"]] == [inc.pk]
    assert got["thames"] == []

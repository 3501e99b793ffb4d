"""Web push subscriptions accept only push services' https endpoints, and sending never reaches internal
addresses nor follows a redirect (issue: the server could be made to send requests anywhere)."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from shopwatch.alerts.models import PushSubscription
from shopwatch.alerts.push import send_push
from tests.world import World

KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}


def _subscribe(world: World, endpoint: str) -> Any:
    client = Client()
    client.force_login(world.users["manager"])
    return client.post(
        "/alerts/push/subscribe/",
        json.dumps({"endpoint": endpoint, "keys": KEYS}),
        content_type="application/json",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:8000/anything",
        "http://127.0.0.1@fcm.googleapis.com/fcm/send/abc",
        "https://127.0.0.1@fcm.googleapis.com/fcm/send/abc",
        "https://user:pw@fcm.googleapis.com/fcm/send/abc",
        "https://127.0.0.1/fcm/send/abc",
        "https://[::1]/fcm/send/abc",
        "https://[::ffff:127.0.0.1]/fcm/send/abc",
        "https://2130706433/fcm/send/abc",
        "https://0x7f000001/fcm/send/abc",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/push",
        "https://fcm.localhost/push",
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com:8443/fcm/send/abc",
        "https://fcm.googleapis.com:99999/fcm/send/abc",
        "https://attacker.example/push",
        "https://fcm.googleapis.com.attacker.example/push",
        "https://evilfcm.googleapis.com/push",
        "ftp://fcm.googleapis.com/push",
        "",
    ],
)
def test_subscribing_refuses_anything_but_a_push_service_https_endpoint(world: World, endpoint: str) -> None:
    response = _subscribe(world, endpoint)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "endpoint"
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
        "https://fcm.googleapis.com:443/fcm/send/abc",
    ],
)
def test_browsers_push_services_are_accepted(world: World, endpoint: str) -> None:
    assert _subscribe(world, endpoint).status_code == 201
    assert PushSubscription.objects.get().endpoint == endpoint


@pytest.mark.django_db
def test_the_push_service_list_is_a_setting(world: World, settings: Any) -> None:
    settings.SHOPWATCH_PUSH_SERVICE_DOMAINS = ["push.example.org"]
    assert _subscribe(world, "https://fcm.googleapis.com/fcm/send/abc").status_code == 422
    assert _subscribe(world, "https://eu.push.example.org/p/1").status_code == 201
    settings.SHOPWATCH_PUSH_SERVICE_DOMAINS = ["*"]
    assert _subscribe(world, "https://autopush.example.net/p/1").status_code == 201
    assert _subscribe(world, "https://[::1]/p/1").status_code == 422
    assert _subscribe(world, "https://10.0.0.8/p/1").status_code == 422


class _Local:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.redirect_to = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.hits.append(self.path)
                self.send_response(307 if outer.redirect_to else 201)
                if outer.redirect_to:
                    self.send_header("Location", outer.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def servers() -> Iterator[tuple[_Local, _Local]]:
    push_service, internal = _Local(), _Local()
    yield push_service, internal
    for s in (push_service, internal):
        s.httpd.shutdown()
        s.httpd.server_close()


def _stored(world: World, endpoint: str) -> PushSubscription:
    return PushSubscription.objects.create(user=world.users["manager"], endpoint=endpoint, **KEYS)


@pytest.mark.django_db
def test_a_push_is_not_redirected_to_an_internal_address(
    world: World, servers: tuple[_Local, _Local], settings: Any
) -> None:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True  # the "push service" is a local server
    push_service, internal = servers
    push_service.redirect_to = f"http://127.0.0.1:{internal.port}/latest/meta-data/"
    sub = _stored(world, f"http://127.0.0.1:{push_service.port}/push/1")
    assert send_push(sub, {"message": "hello"}) is False
    assert push_service.hits == ["/push/1"]
    assert internal.hits == []
    sub.refresh_from_db()
    assert sub.failures == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:{port}/push",
        "http://127.0.0.1@fcm.googleapis.com:{port}/push",
        "http://[::1]:{port}/push",
        "http://2130706433:{port}/push",
        "https://[::ffff:127.0.0.1]:{port}/push",
    ],
)
def test_stored_endpoints_to_this_machine_are_never_sent_to(
    world: World, servers: tuple[_Local, _Local], endpoint: str
) -> None:
    """Subscriptions stored before the rule (the old check let `http://127.0.0.1...` through) are dropped."""
    push_service, _ = servers
    sub = _stored(world, endpoint.format(port=push_service.port))
    assert send_push(sub, {"message": "hello"}) is False
    assert push_service.hits == []
    assert not PushSubscription.objects.filter(pk=sub.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("resolved", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.20.30.40", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00::5", "private"),
        ("224.0.0.251", "multicast"),
    ],
)
def test_a_push_service_name_resolving_to_an_internal_address_is_refused_when_sending(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, resolved: str, why: str
) -> None:
    """DNS answers are checked at send time, so a name that later points inside is still refused."""
    family = socket.AF_INET6 if ":" in resolved else socket.AF_INET

    def answer(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        sockaddr = (resolved, port, 0, 0) if family == socket.AF_INET6 else (resolved, port)
        return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    sub = _stored(world, "https://fcm.googleapis.com/fcm/send/abc")
    with caplog.at_level(logging.WARNING, logger="shopwatch.alerts.push"):
        assert send_push(sub, {"message": "hello"}) is False
    assert f"resolves to {ipaddress.ip_address(resolved)}" in caplog.text
    assert why in caplog.text
    sub.refresh_from_db()
    assert sub.failures == 1

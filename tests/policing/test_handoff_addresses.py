"""A force's hand-off URL may not point inside the server's network, and failed deliveries tell staff nothing
about the ports they tried (issue: the hand-off settings and delivery errors worked as a port scanner)."""

from __future__ import annotations

import io
import logging
import socket
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shopwatch.core.models import AuditEvent
from shopwatch.policing.models import Delivery, DeliveryStatus, ForceEndpoint
from shopwatch.policing.services import handoff, triage
from tests.policing.conftest import Receiver, signed_in
from tests.world import World

SECRET = "sussex-rms-shared-secret-0001"


def _configure(url: str) -> None:
    call_command(
        "handoff_configure", "--force", "sussex", "--url", url, "--secret", SECRET, stdout=io.StringIO()
    )


def _accept(world: World, capture: Any) -> Delivery:
    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    with capture(execute=True):
        triage.triage_decide(viewer=world.viewer("police_sussex"), incident=inc, decision="accept")
    delivery = Delivery.objects.get(incident=inc)
    delivery.refresh_from_db()
    return delivery


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/rms",
        "http://127.0.0.1:22/",
        "http://[::1]:8080/rms",
        "http://[::ffff:127.0.0.1]/rms",
        "http://2130706433/rms",
        "http://0x7f000001/rms",
        "http://localhost:5432/",
        "http://10.0.0.5/rms",
        "http://192.168.1.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://user:pw@rms.example.org/in",
    ],
)
def test_internal_addresses_are_refused_when_configured(world: World, url: str) -> None:
    with pytest.raises(CommandError, match="url"):
        _configure(url)
    assert not ForceEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_name_resolving_inside_is_refused_when_configured(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def inside(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("10.1.2.3" if host == "rms.sussex.example.org" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", inside)
    with pytest.raises(CommandError, match="public address"):
        _configure("https://rms.sussex.example.org/in")


@pytest.mark.django_db
def test_the_supervisor_page_refuses_an_internal_address(world: World) -> None:
    response = signed_in(world, "supervisor_sussex").post(
        "/police/handoff/settings/", {"url": "http://127.0.0.1:6379/", "secret": SECRET}
    )
    assert response.status_code == 422
    assert "not an internal one" in response.content.decode()
    assert not ForceEndpoint.objects.exists()


@pytest.mark.django_db
def test_loopback_needs_the_explicit_setting_and_never_in_production(
    world: World, receiver: Receiver, settings: Any
) -> None:
    _configure(receiver.url)  # the receiver fixture allows loopback, as tests and development may
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="url"):
        _configure(receiver.url.replace("http://", "https://"))


@pytest.mark.django_db
def test_an_internal_endpoint_stored_before_the_rule_is_never_sent_to(
    world: World,
    receiver: Receiver,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _configure(receiver.url)
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = False  # as in production
    with caplog.at_level(logging.WARNING, logger="shopwatch.policing.handoff"):
        delivery = _accept(world, django_capture_on_commit_callbacks)
    assert receiver.received == []
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == handoff.UNREACHABLE
    assert "loopback" in caplog.text
    last = AuditEvent.objects.filter(object_type="handoff_delivery").order_by("pk").last()
    assert last is not None
    assert "loopback" not in last.summary
    assert "loopback" not in str(last.detail)


@pytest.mark.django_db
def test_a_redirect_is_not_followed(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", receiver.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _configure(f"http://127.0.0.1:{server.server_address[1]}/rms")
        delivery = _accept(world, django_capture_on_commit_callbacks)
    finally:
        server.shutdown()
        server.server_close()
    assert receiver.received == []
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 307
    assert "not followed" in delivery.last_error


@pytest.mark.django_db
def test_closed_and_silent_ports_look_the_same_to_staff(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A refused connection and a timeout give the same words, so the page cannot be used to probe ports."""
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True
    settings.SHOPWATCH_HANDOFF_TIMEOUT_SECONDS = 0.3
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers: the read times out
    errors = []
    try:
        for sock in (closed, silent):
            _configure(f"http://127.0.0.1:{sock.getsockname()[1]}/rms")
            errors.append(_accept(world, django_capture_on_commit_callbacks).last_error)
    finally:
        closed.close()
        silent.close()
    assert errors == [handoff.UNREACHABLE, handoff.UNREACHABLE]

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core.models import User
from tests.api.support import ApiClient, api_client_for
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def api(world: World) -> Callable[[str], ApiClient]:
    return lambda name: api_client_for(world, name)


def signed_in(world: World, name: str) -> Client:
    """A browser session for a world user who has confirmed their two-factor code this session."""
    user = User.objects.get(pk=world.users[name].pk)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="phone", confirmed=True
    )
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def web(world: World) -> Callable[[str], Client]:
    return lambda name: signed_in(world, name)


@dataclass
class Receiver:
    """A real HTTP endpoint on 127.0.0.1 standing in for a force's records management system."""

    url: str
    mode: str = "ok"  # ok | error | slow
    slow_seconds: float = 2.0
    received: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        self.received.append(
            {
                "body": body,
                "signature": handler.headers.get("X-ShopWatch-Signature"),
                "content_type": handler.headers.get("Content-Type"),
                "mode": self.mode,
            }
        )
        if self.mode == "slow":
            time.sleep(self.slow_seconds)
        status = 500 if self.mode == "error" else 202
        payload = json.dumps({"ok": status < 300}).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True  # the force's system here is a server on 127.0.0.1
    state: dict[str, Receiver] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state["r"].answer(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/rms/shopwatch")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    server.shutdown()
    server.server_close()

"""The outbound address rule (shopwatch.core.netguard): what the server refuses to connect to.

Every request here goes to 127.0.0.1 (servers started by the test) or is refused before any connection.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shopwatch.core import netguard


class _Server:
    """A local HTTP server counting the requests it got; ``redirect_to`` makes it answer 307 there."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.redirect_to = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.hits.append(self.path)
                if outer.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", outer.redirect_to)
                else:
                    self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.close()


@pytest.fixture
def internal() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.close()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:7f00:1", "loopback"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 wrapping 10.0.0.1
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("::ffff:192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("168.63.129.16", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address refused, not one bound
        ("::", "unspecified"),
        ("100.64.0.1", "public"),  # shared address space (carrier-grade NAT)
        ("240.0.0.1", ""),  # reserved
        ("255.255.255.255", ""),
    ],
)
def test_non_public_addresses_are_refused(address: str, why: str) -> None:
    refusal = netguard.address_refusal(ipaddress.ip_address(address))
    assert refusal is not None
    assert why in refusal


@pytest.mark.parametrize("address", ["8.8.8.8", "142.250.180.10", "2a00:1450:4009:81f::200a"])
def test_public_addresses_pass(address: str) -> None:
    assert netguard.address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]", "localhost"])
def test_loopback_in_any_notation_is_refused_before_a_lookup(host: str) -> None:
    assert netguard.literal_refusal(host, loopback_allowed=False) is not None
    assert not netguard.is_host_name(host)


def test_loopback_may_be_allowed_outside_production_only(settings: Any) -> None:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True
    assert netguard.allow_loopback()
    assert netguard.address_refusal(ipaddress.ip_address("127.0.0.1"), loopback_allowed=True) is None
    assert netguard.address_refusal(ipaddress.ip_address("10.0.0.1"), loopback_allowed=True) is not None
    settings.PRODUCTION = True
    assert not netguard.allow_loopback()


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/push",
        "http://127.9.9.9:{port}/push",
        "http://[::1]:{port}/push",
        "http://[::ffff:127.0.0.1]:{port}/push",
        "http://2130706433:{port}/push",
        "http://0x7f000001:{port}/push",
        "http://localhost:{port}/push",
        "http://user@127.0.0.1:{port}/push",
        "ftp://127.0.0.1:{port}/push",
    ],
)
def test_sending_to_a_loopback_address_is_refused_and_nothing_arrives(local: _Server, template: str) -> None:
    with pytest.raises(netguard.OutboundRefused):
        netguard.post(template.format(port=local.port), data=b"{}", headers={}, timeout=2)
    assert local.hits == []


def test_a_name_is_checked_by_what_it_resolves_to_when_sent(
    local: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public-looking name whose DNS answer is internal (a rebinding attack) is refused at connect time."""
    real = socket.getaddrinfo

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "push.example.org":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(netguard.OutboundRefused, match=r"resolves to 127\.0\.0\.1, a loopback address"):
        netguard.post(f"http://push.example.org:{local.port}/push", data=b"{}", headers={}, timeout=2)
    assert local.hits == []


def test_redirects_are_answered_not_followed(local: _Server, internal: _Server, settings: Any) -> None:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True
    local.redirect_to = f"http://127.0.0.1:{internal.port}/latest/meta-data/"
    response = netguard.post(f"http://127.0.0.1:{local.port}/push", data=b"{}", headers={}, timeout=5)
    assert response.status_code == 307
    assert local.hits == ["/push"]
    assert internal.hits == []


def test_an_allowed_loopback_receiver_gets_the_request(local: _Server, settings: Any) -> None:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True
    response = netguard.post(
        f"http://127.0.0.1:{local.port}/push?x=1", data="{}", headers={"X-Test": "1"}, timeout=5
    )
    assert response.status_code == 201
    assert local.hits == ["/push?x=1"]


def test_plain_http_is_refused_in_production(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(netguard.OutboundRefused, match="plain http"):
        netguard.post("http://rms.example.org/in", data=b"{}", headers={}, timeout=2)

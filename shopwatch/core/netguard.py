"""Requests ShopWatch sends to addresses that users configure (web push endpoints, force hand-off URLs).

One rule for every outbound request to a user-supplied address (docs/decisions/0009-outbound-requests.md):

- the host is resolved when the request is sent, and every address it resolves to must be a public unicast
  address: loopback, private, shared (carrier-grade NAT), link-local, unique-local, multicast, reserved,
  unspecified and cloud metadata addresses are refused, also when written as an IPv4-mapped, 6to4, Teredo or
  NAT64 IPv6 address or as a decimal, octal or hexadecimal number;
- the connection goes to the address that was checked (a second DNS answer cannot swap it), and TLS still
  verifies the certificate against the host name;
- redirects are never followed, and no proxy from the environment is used.

``SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK`` (tests and development only; production ignores it) lets requests reach
127.0.0.0/8 and ::1, for a receiver on the same machine.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

log = logging.getLogger("shopwatch.core.netguard")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata and platform services answering on addresses some of which are public.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.170.2",  # AWS ECS task metadata
        "168.63.129.16",  # Azure WireServer
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
)


class OutboundRefused(Exception):
    """The address may not be reached from the server (the message is for the server log, not for users)."""


class Unresolvable(OutboundRefused):
    """The host name has no address (now)."""


def allow_loopback() -> bool:
    return bool(getattr(settings, "SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK", False)) and not settings.PRODUCTION


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refusal(ip: IPAddress, *, loopback_allowed: bool = False) -> str | None:
    """Why the server must not connect to ``ip``, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped IPv6 address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = address_refusal(inner, loopback_allowed=loopback_allowed)
            return f"{why} (inside {ip})" if why else None
    if ip.is_loopback:
        return None if loopback_allowed else "a loopback address"
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if not ip.is_global:
        return "not a public address"
    return None


def resolve(host: str, port: int, *, loopback_allowed: bool | None = None) -> list[str]:
    """The addresses ``host`` resolves to, all checked; OutboundRefused if any is refused or none is found."""
    if loopback_allowed is None:
        loopback_allowed = allow_loopback()
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"{host} does not resolve: {exc}") from exc
    addresses: list[str] = []
    for *_ignored, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]))
        why = address_refusal(ip, loopback_allowed=loopback_allowed)
        if why:
            raise OutboundRefused(f"{host} resolves to {ip}, {why}")
        if str(ip) not in addresses:
            addresses.append(str(ip))
    if not addresses:
        raise Unresolvable(f"{host} has no address")
    return addresses


def is_host_name(host: str) -> bool:
    """A dotted DNS name whose last label starts with a letter: never an IP address in any notation."""
    return bool(_HOST_NAME.match(host.lower().rstrip(".")))


def literal_refusal(host: str, *, loopback_allowed: bool | None = None) -> str | None:
    """Why a host written in a URL is refused before any lookup (an IP literal or ``localhost``), or None."""
    if loopback_allowed is None:
        loopback_allowed = allow_loopback()
    bare = host.strip("[]").lower().rstrip(".")
    if bare == "localhost" or bare.endswith(".localhost"):
        return None if loopback_allowed else "a loopback name"
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(bare))  # 2130706433, 0x7f000001, 0177.0.0.1, 127.1
        except OSError:
            return None
    return address_refusal(ip, loopback_allowed=loopback_allowed)


def configured_host_refusal(host: str, port: int) -> str | None:
    """Why a host given in configuration is refused now: an address literal, or a name resolving to a refused
    address. A name that does not resolve yet passes: it is checked again whenever a request is sent."""
    why = literal_refusal(host)
    if why:
        return f"{host} is {why}"
    try:
        resolve(host, port)
    except Unresolvable:
        return None
    except OutboundRefused as exc:
        return str(exc)
    return None


# --- Sending -----------------------------------------------------------------------------------------


class _Guarded:
    """Connects only to checked addresses of the host (TLS still verifies the host name)."""

    _dns_host: str
    port: int
    loopback_allowed: bool

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        last: Exception | None = None
        for address in resolve(host, self.port, loopback_allowed=self.loopback_allowed):
            self._dns_host = address
            try:
                return super()._new_conn()  # type: ignore[misc, no-any-return]
            except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as exc:
                last = exc
            finally:
                self._dns_host = host
        assert last is not None
        raise last


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    def __init__(self, *args: Any, loopback_allowed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loopback_allowed = loopback_allowed


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    def __init__(self, *args: Any, loopback_allowed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loopback_allowed = loopback_allowed


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


@dataclass
class Response:
    status_code: int
    reason: str
    text: str
    headers: dict[str, str]


def post(url: str, *, data: bytes | str | None, headers: dict[str, str], timeout: float) -> Response:
    """POST to ``url`` under the address rule, following no redirect (a 3xx is answered as it is).

    Raises OutboundRefused for a refused address or scheme, and urllib3's errors for network failures.
    """
    loopback_allowed = allow_loopback()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise OutboundRefused(f"not an http(s) URL: {parts.scheme}://{host}")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("the URL carries a user name or password")
    why = literal_refusal(host, loopback_allowed=loopback_allowed)
    if why:
        raise OutboundRefused(f"{host} is {why}")
    if parts.scheme == "http" and settings.PRODUCTION:
        raise OutboundRefused("plain http is refused in production")
    pool_class = _GuardedHTTPPool if parts.scheme == "http" else _GuardedHTTPSPool
    pool = pool_class(host, parts.port, retries=False, loopback_allowed=loopback_allowed)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    body = data.encode() if isinstance(data, str) else data
    with pool:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            preload_content=True,
        )
        text = response.data[:4096].decode("utf-8", "replace")
        return Response(response.status, response.reason or "", text, dict(response.headers))


class Session:
    """What pywebpush calls ``requests_session``: its ``post`` goes through the address rule."""

    def post(
        self, url: str, *, data: bytes | str | None = None, headers: Any = None, timeout: float = 10, **_: Any
    ) -> Response:
        return post(
            url, data=data, headers={str(k): str(v) for k, v in dict(headers or {}).items()}, timeout=timeout
        )

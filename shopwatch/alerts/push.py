"""Web push (RFC 8030 with VAPID), for members who enabled it in their browser."""

from __future__ import annotations

import base64
import json
import logging
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from urllib3.exceptions import HTTPError

from shopwatch.core import netguard

from .models import PushSubscription

log = logging.getLogger("shopwatch.alerts.push")

# The push services of the browsers people use (Chrome, Edge, Firefox, Safari, Samsung Internet, Opera).
DEFAULT_PUSH_SERVICE_DOMAINS = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "push.services.mozilla.com",
    "notify.windows.com",
    "push.apple.com",
)


def push_service_domains() -> tuple[str, ...]:
    """Domains whose hosts (and sub-domains) may be push endpoints; ``*`` accepts any public host name."""
    configured = getattr(settings, "SHOPWATCH_PUSH_SERVICE_DOMAINS", None)
    if configured is None:
        return DEFAULT_PUSH_SERVICE_DOMAINS
    return tuple(d.strip().lower().strip(".") for d in configured if d.strip())


def endpoint_refusal(endpoint: str) -> str | None:
    """Why a browser's push endpoint is not accepted, or None.

    An endpoint is an https URL on the default port, naming a host (never an IP address) of a known push
    service, with no user name or password. Where it may connect is checked again when a push is sent.
    """
    if len(endpoint) > 1000:
        return "A push endpoint must be at most 1000 characters."
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "A push endpoint must be an https URL of a push service."
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme != "https" or not parts.netloc:
        return "A push endpoint must be an https URL of a push service."
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "A push endpoint must not carry a user name or password."
    if port not in (None, 443):
        return "A push endpoint must use the standard https port."
    if not netguard.is_host_name(host) or netguard.literal_refusal(host, loopback_allowed=False):
        return "A push endpoint must name a push service's host, not an address."
    domains = push_service_domains()
    if "*" not in domains and not any(host == d or host.endswith("." + d) for d in domains):
        return "This push service is not accepted here."
    return None


@cache
def _vapid() -> Vapid:
    """The VAPID key pair: from SHOPWATCH_VAPID_PRIVATE_KEY_FILE, or generated once in the data directory."""
    path = Path(
        getattr(settings, "SHOPWATCH_VAPID_PRIVATE_KEY_FILE", "") or settings.DATA_DIR / "vapid_private.pem"
    )
    if not path.exists():
        v = Vapid()
        v.generate_keys()
        v.save_key(str(path))
        path.chmod(0o600)
    return Vapid.from_file(str(path))


def public_key() -> str:
    """The application server key a browser subscribes with (URL-safe base64, uncompressed point)."""
    raw = _vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sendable(endpoint: str) -> bool:
    """The subscription rule again at send time (rows stored before it existed are dropped); with
    SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK (tests, development) a receiver on this machine is accepted too."""
    if endpoint_refusal(endpoint) is None:
        return True
    host = urlsplit(endpoint).hostname or ""
    return netguard.allow_loopback() and netguard.literal_refusal(host, loopback_allowed=False) is not None


def send_push(sub: PushSubscription, payload: dict[str, object]) -> bool:
    """Send one push; a gone subscription (404/410) or one the endpoint rule refuses is removed, others
    count failures. No redirect is followed; the endpoint's addresses are checked (core.netguard)."""
    if not _sendable(sub.endpoint):
        log.warning("Push subscription %s removed: its endpoint is not a push service's https URL", sub.pk)
        sub.delete()
        return False
    try:
        webpush(
            subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            data=json.dumps(payload),
            vapid_private_key=_vapid(),
            vapid_claims={
                "sub": getattr(settings, "SHOPWATCH_VAPID_CONTACT", "mailto:alerts@shopwatch.invalid")
            },
            ttl=600,
            timeout=10,
            requests_session=netguard.Session(),
        )
    except (netguard.OutboundRefused, HTTPError, OSError) as exc:
        log.warning("Push to subscription %s not sent: %s", sub.pk, exc)
        PushSubscription.objects.filter(pk=sub.pk).update(failures=sub.failures + 1)
        return False
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            sub.delete()
        else:
            PushSubscription.objects.filter(pk=sub.pk).update(failures=sub.failures + 1)
        return False
    return True

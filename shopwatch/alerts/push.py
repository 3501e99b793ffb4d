"""Web push (RFC 8030 with VAPID), for members who enabled it in their browser."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from .models import PushSubscription


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


def send_push(sub: PushSubscription, payload: dict[str, object]) -> bool:
    """Send one push; a gone subscription (404/410) is removed, others count failures."""
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
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            sub.delete()
        else:
            PushSubscription.objects.filter(pk=sub.pk).update(failures=sub.failures + 1)
        return False
    return True

"""API keys: created once and shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .entitlements import Viewer
from .errors import FieldError, ValidationFailed
from .models import ApiKey, AuditAction, User

KEY_PREFIX = "sw_"


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    secret: str  # the full key: shown once, never stored


def _hash(secret: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is safe and keeps each request cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def apikey_create(*, viewer: Viewer, user: User, name: str) -> NewKey:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed([FieldError("name", "Give the key a name of 1 to 100 characters.")])
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash(secret))
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="api_key",
        object_id=key.pk,
        summary=f"API key '{name}' for {user.email}",
    )
    return NewKey(api_key=key, secret=secret)


@transaction.atomic
def apikey_revoke(*, viewer: Viewer, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            viewer=viewer,
            action=AuditAction.CHANGE,
            object_type="api_key",
            object_id=api_key.pk,
            summary=f"API key '{api_key.name}' revoked",
        )
    return api_key


def apikey_authenticate(secret: str) -> ApiKey | None:
    """The active key matching a presented secret, or None. Constant-time comparison."""
    if not secret.startswith(KEY_PREFIX):
        return None
    parts = secret[len(KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2:
        return None
    # The prefix is unique, so at most one row matches: no ORDER BY (as .first() would add) to compile.
    found = ApiKey.objects.select_related("user").filter(prefix=parts[0], revoked_at__isnull=True)[:1]
    key = next(iter(found), None)
    if key is None or not key.user.is_active:
        return None
    if not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key

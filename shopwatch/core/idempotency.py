"""Idempotency keys: a retried request gets the first answer and creates nothing new."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from .errors import Conflict, FieldError
from .models import IdempotencyRecord

MAX_KEY_LENGTH = 255


def request_fingerprint(body: Any) -> str:
    """A hash of the request's meaning: the same JSON with other spacing or key order matches."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, dict[str, Any]]:
    if record.request_hash != fingerprint:
        raise Conflict(
            [FieldError("Idempotency-Key", "This key was already used with a different request body.")],
            title="Idempotency key reused with a different body",
        )
    return record.status_code, record.response


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Conflict(
            [FieldError("Idempotency-Key", f"Must be 1 to {MAX_KEY_LENGTH} printable characters.")],
            title="Bad idempotency key",
        )


def run_idempotent(
    *, user_id: int, key: str, fingerprint: str, produce: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any], bool]:
    """Run ``produce`` once per (user, key). Returns (status, body, replayed).

    ``produce`` runs inside the same transaction that claims the key, so a concurrent duplicate
    either waits and then replays, or fails on the unique key and replays: never two records.
    Refused requests (exceptions) claim nothing, so the caller can fix and retry.
    """
    check_key(key)
    existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is not None:
        return (*_replay(existing, fingerprint), True)
    try:
        with transaction.atomic():
            status, body = produce()
            IdempotencyRecord.objects.create(
                user_id=user_id, key=key, request_hash=fingerprint, status_code=status, response=body
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if existing is None:
            raise
        return (*_replay(existing, fingerprint), True)
    return status, body, False

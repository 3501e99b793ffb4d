"""Force hand-off secrets, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key is ``settings.SHOPWATCH_SECRETS_KEY``: one Fernet key, or several separated by commas (the first
encrypts, every one decrypts, so a key can be rotated). Without it, a key is derived from ``SECRET_KEY`` with
HKDF-SHA256; keys derived from ``SECRET_KEY_FALLBACKS`` and the derived key itself are always accepted for
decryption, so rows written before the setting was set, or before ``SECRET_KEY`` was rotated, stay readable.
The secrets must be usable (the HMAC needs them), so they are encrypted rather than hashed.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_INFO = b"shopwatch.policing: force hand-off secrets"


class SecretUnreadable(RuntimeError):
    """A stored secret that none of the configured keys decrypts (the keys changed without a fallback)."""


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from a Django SECRET_KEY."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shopwatch", info=_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _configured() -> tuple[str, ...]:
    value = getattr(settings, "SHOPWATCH_SECRETS_KEY", "") or ""
    keys = value.split(",") if isinstance(value, str) else list(value)
    return tuple(k.strip() for k in keys if k and k.strip())


@lru_cache(maxsize=8)
def _fernet(configured: tuple[str, ...], secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    try:
        own = [Fernet(k.encode()) for k in configured]
    except ValueError as exc:
        raise ImproperlyConfigured(
            "SHOPWATCH_SECRETS_KEY must be Fernet keys (32 url-safe base64-encoded bytes), separated by "
            "commas: make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        ) from exc
    derived = [Fernet(derived_key(k)) for k in (secret_key, *fallbacks) if k]
    return MultiFernet(own + derived)


def fernet() -> MultiFernet:
    return _fernet(
        _configured(),
        str(settings.SECRET_KEY),
        tuple(str(k) for k in getattr(settings, "SECRET_KEY_FALLBACKS", ())),
    )


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable(
            "A hand-off secret cannot be decrypted: SHOPWATCH_SECRETS_KEY or SECRET_KEY changed without "
            "keeping the old key. Configure the hand-off again (`shopwatch handoff configure`)."
        ) from exc

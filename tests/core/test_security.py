"""Security basics: production settings refuse to start unsafely, headers, CSRF, cookies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.world import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "q8Zr-3vLk_9XwT2pN7bYcD4hJ6mF1sA0eGuRiOoPzVnBtKyHxWj5"  # 52 characters, none repeated
FERNET_KEY = "yKp0mD3q7oQ0uJ8xq3m8p0gC3b0n1Vq2wR5sT6uV7wY="


def _start_production(
    tmp_path: Path, extra: dict[str, str], code: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SHOPWATCH_"))}
    env.update(
        {
            "SHOPWATCH_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "shopwatch.settings",
            "SHOPWATCH_DATA_DIR": str(tmp_path),
            **extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    result = _start_production(tmp_path, {"DJANGO_ALLOWED_HOSTS": "shopwatch.example.org"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("short", "fewer than 50"),
        ("k" * 32, "fewer than 50"),
        ("k" * 64, "only 1 different characters"),
        ("abcabcabc" * 8, "only 3 different characters"),
        ("a" * 40 + "bcdefghijklmnopqrstu", "more than a quarter"),
        ("django-insecure-" + GOOD_KEY, "insecure development key"),
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path: Path, key: str, why: str) -> None:
    result = _start_production(
        tmp_path,
        {
            "DJANGO_SECRET_KEY": key,
            "DJANGO_ALLOWED_HOSTS": "shopwatch.example.org",
            "SHOPWATCH_SECRETS_KEY": FERNET_KEY,
        },
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert why in result.stderr


@pytest.mark.parametrize(("value", "why"), [("", "not set"), ("not-a-fernet-key", "Fernet keys")])
def test_production_refuses_to_start_without_a_secrets_key(tmp_path: Path, value: str, why: str) -> None:
    result = _start_production(
        tmp_path,
        {
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "shopwatch.example.org",
            "SHOPWATCH_SECRETS_KEY": value,
        },
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SHOPWATCH_SECRETS_KEY" in result.stderr
    assert why in result.stderr


@pytest.mark.parametrize("hosts", ["", "*", "shopwatch.example.org,*"])
def test_production_refuses_to_start_without_allowed_hosts(tmp_path: Path, hosts: str) -> None:
    result = _start_production(tmp_path, {"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": hosts})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_secure_cookies_when_configured(tmp_path: Path) -> None:
    code = (
        "; from django.conf import settings as s"
        "; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS)"
    )
    result = _start_production(
        tmp_path,
        {
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "shopwatch.example.org",
            "SHOPWATCH_SECRETS_KEY": f"{FERNET_KEY},{FERNET_KEY}",
        },
        code,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True True True True ['shopwatch.example.org']"


def test_pages_carry_a_content_security_policy(client: Client, world: World) -> None:
    for path in ("/account/login/", "/account/two-factor/"):
        if path != "/account/login/":
            client.force_login(world.users["police_sussex"])
        csp = client.get(path)["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp


def test_security_headers(client: Client) -> None:
    response = client.get("/account/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_forms_are_protected_against_cross_site_posts(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/account/login/", {"username": "reporter@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    page = client.get("/account/login/")
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/account/login/",
        {"username": "reporter@example.org", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_signed_in_forms_reject_posts_without_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["security"])
    assert client.post("/account/api-keys/", {"name": "Sneaky"}).status_code == 403
    assert client.post("/account/logout/").status_code == 403


def test_session_cookie_is_http_only_and_lax(client: Client, world: World) -> None:
    client.post(
        "/account/login/", {"username": "reporter@example.org", "password": PASSWORD, "remember": "on"}
    )
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"

"""Two-factor sign-in: required for police, analysts, partnership managers and admins; not store roles."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core import services
from shopwatch.core.errors import ValidationFailed
from shopwatch.core.models import AuditEvent, User
from tests.core.support import confirmed_device, current_code, sign_in_verified
from tests.world import PASSWORD, World

TWO_FACTOR_USERS = ["police_sussex", "supervisor_sussex", "analyst_sussex", "partnership_manager", "admin"]


@pytest.mark.parametrize("name", TWO_FACTOR_USERS)
def test_roles_that_see_most_are_sent_to_two_factor(client: Client, world: World, name: str) -> None:
    response = client.post("/account/login/", {"username": f"{name}@example.org", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 302
    assert page["Location"] == "/account/two-factor/?next=" + quote("/", safe="")
    # Every other page too, until a code is given.
    assert client.get("/incidents/")["Location"].startswith("/account/two-factor/?next=%2Fincidents%2F")
    assert client.get("/account/api-keys/")["Location"].startswith("/account/two-factor/")


@pytest.mark.parametrize("name", ["reporter", "manager", "security", "pcc", "navigator"])
def test_other_roles_are_not_asked(client: Client, world: World, name: str) -> None:
    client.force_login(world.users[name])
    response = client.get("/account/api-keys/")
    assert response.status_code == 200


def test_first_time_shows_qr_code_as_inline_svg_and_secret(client: Client, world: World) -> None:
    client.force_login(world.users["police_sussex"])
    response = client.get("/account/two-factor/?next=/incidents/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Set up two-factor sign-in" in html
    assert '<svg class="qr-code" role="img" aria-labelledby="qr-title"' in html
    assert "<path" in html
    # Neither inline script nor inline style: the Content-Security-Policy forbids both.
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "style=" not in html
    assert "<style" not in html
    device = TOTPDevice.objects.get(user=world.users["police_sussex"])
    assert device.confirmed is False
    secret = re.search(r'<p class="secret" id="totp-secret">([A-Z2-7 ]+)</p>', html)
    assert secret is not None
    assert base64.b32decode(secret.group(1).replace(" ", "")) == device.bin_key
    assert "no-store" in response["Cache-Control"]
    # Reloading keeps the same secret (the app may already have scanned it).
    client.get("/account/two-factor/")
    assert TOTPDevice.objects.filter(user=world.users["police_sussex"]).count() == 1


def test_confirming_with_a_correct_code_signs_in_and_follows_next(client: Client, world: World) -> None:
    user = world.users["partnership_manager"]
    client.force_login(user)
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        "/account/two-factor/", {"token": current_code(device), "next": "/account/api-keys/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/api-keys/"
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/account/api-keys/").status_code == 200
    assert AuditEvent.objects.filter(actor=user, object_type="totp_device", action="change").exists()


def test_wrong_code_at_set_up_is_refused_inline(client: Client, world: World) -> None:
    client.force_login(world.users["police_sussex"])
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=world.users["police_sussex"])
    wrong = "000000" if current_code(device) != "000000" else "111111"
    response = client.post("/account/two-factor/", {"token": wrong})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert 'id="id_token_error"' in html
    assert "That code is not right" in html
    assert TOTPDevice.objects.get(user=world.users["police_sussex"]).confirmed is False
    assert client.get("/incidents/").status_code == 302


def test_verify_with_correct_code_gets_through(client: Client, world: World) -> None:
    user = world.users["analyst_sussex"]
    device = confirmed_device(user)
    client.force_login(user)
    page = client.get("/account/two-factor/?next=/incidents/")
    assert "Enter your sign-in code" in page.content.decode()
    assert "<svg" not in page.content.decode()  # no secret shown once set up
    response = client.post("/account/two-factor/", {"token": current_code(device), "next": "/incidents/"})
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert client.get("/incidents/").status_code == 200


@pytest.mark.parametrize("token", ["123456", "12345", "abcdef", ""])
def test_verify_with_wrong_code_is_refused(client: Client, world: World, token: str) -> None:
    user = world.users["police_sussex"]
    device = confirmed_device(user)
    if token == "123456" and current_code(device) == token:
        token = "654321"
    client.force_login(user)
    response = client.post("/account/two-factor/", {"token": token, "next": "/incidents/"})
    assert response.status_code == 200
    assert 'class="error-message" id="id_token_error"' in response.content.decode()
    assert client.get("/incidents/").status_code == 302


def test_a_code_works_only_once(world: World) -> None:
    user = world.users["police_sussex"]
    device = confirmed_device(user)
    code = current_code(device)
    services.totp_device_verify(user=user, token=code)
    with pytest.raises(ValidationFailed):
        services.totp_device_verify(user=user, token=code)


def test_next_off_site_is_ignored(client: Client, world: World) -> None:
    user = world.users["police_sussex"]
    device = confirmed_device(user)
    client.force_login(user)
    response = client.post(
        "/account/two-factor/", {"token": current_code(device), "next": "https://evil.example/x"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_two_factor_page_needs_sign_in(client: Client) -> None:
    response = client.get("/account/two-factor/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_django_admin_needs_two_factor(client: Client, world: World) -> None:
    boss = User.objects.create_superuser("boss@example.org", PASSWORD, full_name="Boss")
    client.force_login(boss)
    assert client.get("/admin/")["Location"].startswith("/account/two-factor/?next=%2Fadmin%2F")
    sign_in_verified(client, boss)
    assert client.get("/admin/").status_code == 200

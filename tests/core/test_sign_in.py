"""Signing in: email and password, remembered devices, Argon2 hashes and lock-out after repeated failures."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from shopwatch.core.models import User
from tests.world import PASSWORD, World


def test_sign_in_page_has_labelled_fields_and_remember_ticked(client: Client) -> None:
    html = client.get("/account/login/").content.decode()
    assert '<label for="id_username">Email address</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'type="checkbox" name="remember"' in html
    assert "Keep me signed in on this device" in html
    assert 'id="id_remember" checked' in html
    assert 'autocomplete="current-password"' in html


def test_remembered_device_keeps_the_long_session(client: Client, world: World) -> None:
    response = client.post(
        "/account/login/", {"username": "reporter@example.org", "password": PASSWORD, "remember": "on"}
    )
    assert response.status_code == 302
    assert client.session.get_expire_at_browser_close() is False
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 90 * 24 * 3600
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_unticked_remember_ends_session_with_browser(client: Client, world: World) -> None:
    response = client.post("/account/login/", {"username": "reporter@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get_expire_at_browser_close() is True
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""


def test_email_is_not_case_sensitive_and_store_reporter_goes_straight_in(
    client: Client, world: World
) -> None:
    response = client.post(
        "/account/login/", {"username": "  Reporter@Example.ORG ", "password": PASSWORD, "remember": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    # A store role is never asked for a two-factor code.
    follow = client.get("/")
    assert follow.status_code == 302
    assert "two-factor" not in follow["Location"]


def test_wrong_password_shows_summary_and_inline_errors(client: Client, world: World) -> None:
    response = client.post(
        "/account/login/", {"username": "reporter@example.org", "password": "nope-nope-nope"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "The email address or password is not right" in html
    assert "_auth_user_id" not in client.session


def test_empty_form_names_each_field(client: Client, world: World) -> None:
    html = client.post("/account/login/", {"username": "", "password": ""}).content.decode()
    assert '<a href="#id_username">Enter your email address.</a>' in html
    assert '<a href="#id_password">Enter your password.</a>' in html
    assert 'aria-describedby="id_username_error"' in html
    assert 'aria-invalid="true"' in html


def test_passwords_are_stored_as_argon2(world: World) -> None:
    user = User.objects.get(email="reporter@example.org")
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_lock_out_after_failure_limit_refuses_even_the_right_password(client: Client, world: World) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = client.post(
            "/account/login/", {"username": "manager@example.org", "password": "wrong-password"}
        )
        assert response.status_code == 200
    locked = client.post("/account/login/", {"username": "manager@example.org", "password": "wrong-password"})
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Sign-in is locked for now" in html
    assert "You can try again in 1 hour" in html
    assert "Contact your store manager or partnership manager" in html

    right = client.post("/account/login/", {"username": "manager@example.org", "password": PASSWORD})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    # Someone else can still sign in from the same place.
    other = client.post("/account/login/", {"username": "reporter@example.org", "password": PASSWORD})
    assert other.status_code == 302


def test_sign_out_is_a_post(client: Client, world: World) -> None:
    client.force_login(world.users["reporter"])
    assert client.get("/account/logout/").status_code == 405
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/"
    assert "_auth_user_id" not in client.session


def test_signed_in_user_visiting_sign_in_is_sent_on(client: Client, world: World) -> None:
    client.force_login(world.users["reporter"])
    assert client.get("/account/login/").status_code == 302


def test_next_outside_the_site_is_ignored(client: Client, world: World) -> None:
    response = client.post(
        "/account/login/?next=https://evil.example/",
        {"username": "reporter@example.org", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"

"""The API keys page: list, create (secret shown once), revoke."""

from __future__ import annotations

from django.test import Client

from shopwatch.core.apikeys import apikey_authenticate, apikey_create
from shopwatch.core.models import ApiKey, AuditEvent
from tests.world import World


def test_create_shows_the_key_once_and_it_works(client: Client, world: World) -> None:
    user = world.users["security"]
    client.force_login(user)
    response = client.post("/account/api-keys/", {"name": "Till system, Brighton"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "It will not be shown again" in html
    assert "<dt>Last used</dt><dd>Never</dd>" in html
    key = ApiKey.objects.get(user=user)
    secret_start = f"sw_{key.prefix}_"
    assert secret_start in html
    start = html.index('id="new-key-secret"')
    value = html[start:].split('value="', 1)[1].split('"', 1)[0]
    assert value.startswith(secret_start)
    assert apikey_authenticate(value) == key
    assert value not in key.key_hash
    assert "no-store" in response["Cache-Control"]
    # The list shows it; the secret is not on the page any more.
    again = client.get("/account/api-keys/").content.decode()
    assert "Till system, Brighton" in again
    assert value not in again
    assert "<dt>Last used</dt><dd>Never</dd>" not in again  # used just now, by apikey_authenticate
    assert AuditEvent.objects.filter(object_type="api_key", action="create", actor=user).exists()


def test_blank_or_long_name_is_refused_with_a_field_error(client: Client, world: World) -> None:
    client.force_login(world.users["security"])
    response = client.post("/account/api-keys/", {"name": "  "})
    assert response.status_code == 422
    assert '<a href="#id_name">Give the key a name.</a>' in response.content.decode()
    response = client.post("/account/api-keys/", {"name": "x" * 101})
    assert response.status_code == 422
    assert "100 characters or fewer" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoke_asks_then_revokes_on_post(client: Client, world: World) -> None:
    user = world.users["security"]
    new = apikey_create(viewer=world.viewer("security"), user=user, name="Old till")
    client.force_login(user)
    confirm = client.get(f"/account/api-keys/{new.api_key.pk}/revoke/")
    assert confirm.status_code == 200
    assert "Revoke the key “Old till”?" in confirm.content.decode()
    new.api_key.refresh_from_db()
    assert new.api_key.revoked_at is None  # a GET changes nothing
    response = client.post(f"/account/api-keys/{new.api_key.pk}/revoke/")
    assert response.status_code == 302
    new.api_key.refresh_from_db()
    assert new.api_key.revoked_at is not None
    assert apikey_authenticate(new.secret) is None
    listing = client.get("/account/api-keys/").content.decode()
    assert "Revoked" in listing


def test_someone_elses_key_is_not_found(client: Client, world: World) -> None:
    other = apikey_create(viewer=world.viewer("security"), user=world.users["security"], name="Theirs")
    client.force_login(world.users["manager"])
    assert client.get(f"/account/api-keys/{other.api_key.pk}/revoke/").status_code == 404
    assert client.post(f"/account/api-keys/{other.api_key.pk}/revoke/").status_code == 404
    assert "Theirs" not in client.get("/account/api-keys/").content.decode()
    other.api_key.refresh_from_db()
    assert other.api_key.revoked_at is None


def test_page_needs_sign_in(client: Client) -> None:
    assert client.get("/account/api-keys/")["Location"].startswith("/account/login/")

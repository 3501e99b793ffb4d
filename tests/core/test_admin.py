"""The operator's Django admin: every model opens; the audit trail and API keys cannot be forged or edited."""

from __future__ import annotations

import pytest
from django.test import Client

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import ApiKey, AuditEvent, Membership, User
from tests.core.support import sign_in_verified
from tests.world import PASSWORD, World


@pytest.fixture
def operator(client: Client, world: World) -> Client:
    boss = User.objects.create_superuser("operator@example.org", PASSWORD, full_name="Platform Operator")
    sign_in_verified(client, boss)
    return client


CHANGELISTS = [
    "core/organisation",
    "core/network",
    "core/sharinggroup",
    "core/store",
    "core/user",
    "core/membership",
    "core/apikey",
    "core/auditevent",
    "reporting/incident",
    "subjects/person",
    "subjects/vehicle",
    "evidence/evidencefile",
    "otp_totp/totpdevice",
]


@pytest.mark.parametrize("model", CHANGELISTS)
def test_each_changelist_opens(operator: Client, model: str) -> None:
    assert operator.get(f"/admin/{model}/").status_code == 200


def test_audit_trail_cannot_be_added_changed_or_deleted(operator: Client, world: World) -> None:
    world.report("reporter", "nw-brighton")
    event = AuditEvent.objects.first()
    assert event is not None
    assert operator.get("/admin/core/auditevent/add/").status_code == 403
    view = operator.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert operator.post(f"/admin/core/auditevent/{event.pk}/change/", {"summary": "x"}).status_code == 403
    assert operator.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.summary != "x"


def test_api_keys_cannot_be_made_here_and_hash_is_read_only(operator: Client, world: World) -> None:
    new = apikey_create(viewer=world.viewer("security"), user=world.users["security"], name="Till")
    assert operator.get("/admin/core/apikey/add/").status_code == 403
    page = operator.get(f"/admin/core/apikey/{new.api_key.pk}/change/").content.decode()
    assert new.api_key.key_hash in page
    assert 'name="key_hash"' not in page
    response = operator.post(
        "/admin/core/apikey/", {"action": "revoke_keys", "_selected_action": [new.api_key.pk]}
    )
    assert response.status_code == 302
    new.api_key.refresh_from_db()
    assert new.api_key.revoked_at is not None


def test_add_user_sets_an_argon2_password_and_is_audited(operator: Client, world: World) -> None:
    response = operator.post(
        "/admin/core/user/add/",
        {
            "email": "fresh@example.org",
            "full_name": "Fresh Person",
            "usable_password": "true",
            "password1": "granite-lemon-kettle",
            "password2": "granite-lemon-kettle",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="fresh@example.org")
    assert user.password.startswith("argon2$")
    assert user.check_password("granite-lemon-kettle")
    assert AuditEvent.objects.filter(object_type="user", object_id=str(user.pk), action="create").exists()


def test_user_page_shows_memberships_inline(operator: Client, world: World) -> None:
    user = world.users["reporter"]
    html = operator.get(f"/admin/core/user/{user.pk}/change/").content.decode()
    assert "memberships-TOTAL_FORMS" in html
    assert Membership.objects.filter(user=user).count() == 1


def test_incidents_are_read_mostly(operator: Client, world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    assert operator.get("/admin/reporting/incident/add/").status_code == 403
    page = operator.get(f"/admin/reporting/incident/{incident.pk}/change/").content.decode()
    assert incident.reference in page
    assert 'name="description"' not in page
    assert (
        operator.post(f"/admin/reporting/incident/{incident.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_admin_needs_staff(client: Client, world: World) -> None:
    sign_in_verified(client, world.users["partnership_manager"])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_api_key_model_keeps_no_secret(world: World) -> None:
    new = apikey_create(viewer=world.viewer("security"), user=world.users["security"], name="Till")
    stored = ApiKey.objects.get(pk=new.api_key.pk)
    assert new.secret not in (stored.key_hash, stored.prefix, stored.name)

"""Partnership manager screens: members, stores and the audit trail, for partnerships they manage only."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shopwatch.core import services
from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.core.models import AuditEvent, Membership, Organisation, Role, Store, User
from tests.core.support import sign_in_verified
from tests.world import World

BASE = "/partnerships/brighton-bcrp"


@pytest.fixture
def manager(client: Client, world: World) -> Client:
    sign_in_verified(client, world.users["partnership_manager"])
    return client


def _new_store(world: World, key: str, retailer: str, force: str) -> Store:
    return Store.objects.create(
        retailer=world.orgs[retailer],
        name=key,
        code="X1",
        address="2 West Street",
        town="Brighton",
        postcode="BN1 2AA",
        latitude=50.82,
        longitude=-0.14,
        force=world.orgs[force],
    )


@pytest.mark.parametrize("path", ["/", "/stores/", "/audit/", "/members/add/"])
@pytest.mark.parametrize(
    "name", ["unconnected_partnership_manager", "connected_partnership_manager", "reporter"]
)
def test_others_get_not_found(client: Client, world: World, name: str, path: str) -> None:
    user = world.users[name]
    if name.endswith("partnership_manager"):
        sign_in_verified(client, user)
    else:
        client.force_login(user)
    assert client.get(BASE + path).status_code == 404
    assert client.get("/partnerships/no-such-thing" + path).status_code == 404


def test_members_lists_partnership_staff_and_member_store_staff(manager: Client, world: World) -> None:
    html = manager.get(BASE + "/").content.decode()
    for name in (
        "reporter",
        "manager",
        "other_store_reporter",
        "same_partnership_reporter",
        "partnership_manager",
    ):
        assert f"{name}@example.org" in html
    for name in ("connected_reporter", "unconnected_reporter", "police_sussex", "security"):
        assert f"{name}@example.org" not in html
    assert 'aria-current="page">Members' in html


def test_index_lists_managed_partnerships(manager: Client) -> None:
    html = manager.get("/partnerships/").content.decode()
    assert 'href="/partnerships/brighton-bcrp/"' in html
    assert "crawley-bcrp" not in html


def test_add_new_person_creates_account_with_set_password_link(manager: Client, world: World) -> None:
    store = world.stores["nw-hove"]
    response = manager.post(
        BASE + "/members/add/",
        {
            "email": "New.Person@Example.org",
            "full_name": "New Person",
            "store": store.pk,
            "role": "store_reporter",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    user = User.objects.get(email="new.person@example.org")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.store, membership.organisation) == (
        Role.STORE_REPORTER,
        store,
        world.orgs["northway"],
    )
    # Proposed: no access until Northway consents.
    assert (membership.active, membership.awaiting_consent) == (False, True)
    assert "once Northway Foods consents" in html
    event = AuditEvent.objects.get(object_type="membership", object_id=str(membership.pk))
    assert event.actor == world.users["partnership_manager"]
    assert event.partnership == world.orgs["brighton-bcrp"]
    assert event.store == store

    match = re.search(r'value="http://testserver(/account/set-password/[^"]+)"', html)
    assert match is not None
    # The person follows the link, chooses a password, and can then sign in.
    anon = Client()
    form_page = anon.get(match.group(1), follow=True)
    assert "Set your password" in form_page.content.decode()
    done = anon.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "lantern-orchard-pebble", "new_password2": "lantern-orchard-pebble"},
    )
    assert done.status_code == 302
    signed_in = anon.post(
        "/account/login/", {"username": "new.person@example.org", "password": "lantern-orchard-pebble"}
    )
    assert signed_in.status_code == 302
    # The link works once.
    assert "This link no longer works" in Client().get(match.group(1), follow=True).content.decode()


def test_add_existing_user_adds_a_membership_without_link(manager: Client, world: World) -> None:
    store = world.stores["corner-brighton"]
    response = manager.post(
        BASE + "/members/add/",
        {"email": "reporter@example.org", "full_name": "", "store": store.pk, "role": "store_manager"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "set-password" not in html
    assert Membership.objects.filter(
        user=world.users["reporter"],
        store=store,
        role=Role.STORE_MANAGER,
        active=False,
        awaiting_consent=True,
    ).exists()


def test_add_member_errors_are_per_field(manager: Client, world: World) -> None:
    response = manager.post(BASE + "/members/add/", {"email": "not-an-email", "store": "", "role": "admin"})
    html = response.content.decode()
    assert response.status_code == 422
    assert '<a href="#id_email">Enter an email address like name@example.org.</a>' in html
    assert '<a href="#id_store">Choose the store they work at.</a>' in html
    assert '<a href="#id_role_0">Choose store reporter or store manager.</a>' in html
    # A store outside the partnership is not offered and cannot be posted.
    outside = world.stores["kiosk-crawley"]
    assert f'value="{outside.pk}"' not in manager.get(BASE + "/members/add/").content.decode()
    response = manager.post(
        BASE + "/members/add/",
        {"email": "x@example.org", "full_name": "X", "store": outside.pk, "role": "store_reporter"},
    )
    assert "Choose one of the partnership&#x27;s stores." in response.content.decode()
    # Someone new needs a name.
    response = manager.post(
        BASE + "/members/add/",
        {"email": "y@example.org", "store": world.stores["nw-hove"].pk, "role": "store_reporter"},
    )
    assert response.status_code == 422
    assert '<a href="#id_full_name">Enter the person&#x27;s full name.</a>' in response.content.decode()
    assert not User.objects.filter(email__in=["x@example.org", "y@example.org"]).exists()


def test_adding_someone_twice_is_a_clear_error(manager: Client, world: World) -> None:
    response = manager.post(
        BASE + "/members/add/",
        {"email": "reporter@example.org", "store": world.stores["nw-brighton"].pk, "role": "store_reporter"},
    )
    assert response.status_code == 422
    assert "is already a store reporter at Nw Brighton" in response.content.decode()


def test_deactivate_membership(manager: Client, world: World) -> None:
    membership = Membership.objects.get(user=world.users["other_store_reporter"])
    url = f"{BASE}/members/{membership.pk}/deactivate/"
    page = manager.get(url)
    assert page.status_code == 200
    assert "Deactivate Other Store Reporter?" in page.content.decode()
    response = manager.post(url)
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.active is False
    assert AuditEvent.objects.filter(
        object_type="membership", object_id=str(membership.pk), action="change"
    ).exists()
    listing = manager.get(BASE + "/").content.decode()
    assert "other_store_reporter@example.org" not in listing
    assert "other_store_reporter@example.org" in manager.get(BASE + "/?show=all").content.decode()


def test_cannot_deactivate_outside_the_partnership_or_oneself(manager: Client, world: World) -> None:
    outside = Membership.objects.get(user=world.users["connected_reporter"])
    assert manager.post(f"{BASE}/members/{outside.pk}/deactivate/").status_code == 404
    outside.refresh_from_db()
    assert outside.active is True
    own = Membership.objects.get(user=world.users["partnership_manager"])
    response = manager.post(f"{BASE}/members/{own.pk}/deactivate/")
    assert response.status_code == 422
    assert "You cannot switch off your own membership." in response.content.decode()
    own.refresh_from_db()
    assert own.active is True


def test_stores_page_lists_and_adds_a_member_retailers_store(manager: Client, world: World) -> None:
    new = _new_store(world, "Northway Kemptown", "northway", "sussex")
    non_member = _new_store(world, "Oxford Goods Brighton", "oxshop", "sussex")
    html = manager.get(BASE + "/stores/").content.decode()
    for key in ("nw-brighton", "nw-hove", "corner-brighton"):
        assert world.stores[key].name in html
    assert world.stores["kiosk-crawley"].name not in html
    assert f'<option value="{new.pk}">' in html
    assert f'value="{non_member.pk}"' not in html
    assert f'value="{world.stores["nw-oxford"].pk}"' not in html  # another force's area

    response = manager.post(BASE + "/stores/", {"store": new.pk})
    assert response.status_code == 302
    assert new.partnerships.filter(slug="brighton-bcrp").exists()
    assert AuditEvent.objects.filter(
        object_type="store", object_id=str(new.pk), partnership__slug="brighton-bcrp"
    ).exists()
    # The manager can now report for it, and add its staff.
    assert new.pk in world.viewer("partnership_manager").reportable_store_ids

    refused = manager.post(BASE + "/stores/", {"store": non_member.pk})
    assert refused.status_code == 422
    assert "Choose one of the stores listed." in refused.content.decode()


def test_remove_store_from_partnership(manager: Client, world: World) -> None:
    store = world.stores["corner-brighton"]
    page = manager.get(f"{BASE}/stores/{store.pk}/remove/")
    assert "Remove Corner Brighton from Brighton BCRP?" in page.content.decode()
    assert manager.post(f"{BASE}/stores/{store.pk}/remove/").status_code == 302
    assert not store.partnerships.filter(slug="brighton-bcrp").exists()
    assert manager.post(f"{BASE}/stores/{world.stores['kiosk-crawley'].pk}/remove/").status_code == 404


def test_audit_trail_shows_partnership_activity_and_is_read_only(manager: Client, world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    world.report("connected_reporter", "kiosk-crawley", description="Elsewhere entirely")
    html = manager.get(BASE + "/audit/").content.decode()
    assert incident.reference in html or f"#{incident.pk}" in html
    assert "Kiosk Crawley" not in html
    assert manager.post(BASE + "/audit/").status_code in (200, 405)
    event = AuditEvent.objects.first()
    assert event is not None
    event.summary = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(summary="rewritten")


def test_services_refuse_non_managers(world: World) -> None:
    brighton = Organisation.objects.get(slug="brighton-bcrp")
    for name in ("connected_partnership_manager", "security", "reporter"):
        viewer = world.viewer(name)
        with pytest.raises(NotEntitled):
            services.membership_add(
                viewer=viewer,
                partnership=brighton,
                store_id=world.stores["nw-hove"].pk,
                email="z@example.org",
                full_name="Z",
                role="store_reporter",
            )
        with pytest.raises(NotEntitled):
            services.partnership_store_remove(
                viewer=viewer, partnership=brighton, store_id=world.stores["nw-hove"].pk
            )
    assert not User.objects.filter(email="z@example.org").exists()


def test_store_outside_force_area_is_refused_by_the_service(world: World) -> None:
    brighton = Organisation.objects.get(slug="brighton-bcrp")
    with pytest.raises(ValidationFailed) as exc:
        services.partnership_store_add(
            viewer=world.viewer("partnership_manager"),
            partnership=brighton,
            store_id=world.stores["nw-oxford"].pk,
        )
    assert exc.value.errors[0].field == "store"
    assert "police force area" in exc.value.errors[0].message


def test_reporting_selector_alias_still_works(world: World) -> None:
    from shopwatch.core.selectors import audit_trail_for_partnership as core_version
    from shopwatch.reporting.selectors import audit_trail_for_partnership

    assert audit_trail_for_partnership is core_version


def _queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_members_stores_and_audit_pages_do_not_query_per_row(manager: Client, world: World) -> None:
    brighton = Organisation.objects.get(slug="brighton-bcrp")
    viewer = world.viewer("partnership_manager")
    before = {p: _queries(manager, BASE + p) for p in ("/", "/stores/", "/audit/")}
    for i in range(5):
        store = _new_store(world, f"Northway Extra {i}", "northway", "sussex")
        services.partnership_store_add(viewer=viewer, partnership=brighton, store_id=store.pk)
        services.membership_add(
            viewer=viewer,
            partnership=brighton,
            store_id=store.pk,
            email=f"extra{i}@example.org",
            full_name=f"Extra {i}",
            role="store_reporter",
        )
    after = {p: _queries(manager, BASE + p) for p in ("/", "/stores/", "/audit/")}
    assert after == before

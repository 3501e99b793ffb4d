"""Store roles need the retailer's consent, and nobody gives themselves a role.

A store role opens the retailer's records at that store (its organisation-only incidents and evidence), so a
partnership manager may only propose one; it takes effect when the store's manager or the retailer's security
manager confirms it on "Store roles to confirm". Before, a partnership manager could add themselves as store
manager at any member store and read that retailer's organisation-only records.
"""

from __future__ import annotations

import pytest
from django.test import Client

from shopwatch.core import services
from shopwatch.core.entitlements import can_see, viewer_for
from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.core.models import Distribution, Membership, Role, User
from tests.core.support import sign_in_verified
from tests.world import World

BASE = "/partnerships/brighton-bcrp"


def _signed_in(world: World, name: str) -> Client:
    client = Client()
    sign_in_verified(client, User.objects.get(pk=world.users[name].pk))
    return client


def _propose(
    world: World, email: str, store: str = "nw-brighton", role: str = Role.STORE_REPORTER
) -> Membership:
    return services.membership_add(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        store_id=world.stores[store].pk,
        email=email,
        full_name="Pat Proposed",
        role=role,
    ).membership


def test_a_partnership_manager_cannot_make_themselves_store_manager(world: World) -> None:
    private = world.report("reporter", "nw-brighton", distribution=Distribution.ORGANISATION)
    client = _signed_in(world, "partnership_manager")
    response = client.post(
        BASE + "/members/add/",
        {
            "email": "partnership_manager@example.org",
            "full_name": "",
            "store": world.stores["nw-brighton"].pk,
            "role": "store_manager",
        },
    )
    assert response.status_code == 422
    assert "You cannot give yourself a role" in response.content.decode()
    with pytest.raises(ValidationFailed) as exc:
        _propose(world, "partnership_manager@example.org", role=Role.STORE_MANAGER)
    assert exc.value.errors[0].field == "email"
    assert not Membership.objects.filter(
        user=world.users["partnership_manager"], store__isnull=False
    ).exists()
    # So Northway's organisation-only records stay Northway's.
    assert not can_see(world.viewer("partnership_manager"), private)
    assert client.get(f"/incidents/{private.pk}/").status_code == 404


def test_a_proposed_role_gives_no_access_until_the_retailer_consents(world: World) -> None:
    private = world.report("reporter", "nw-brighton", distribution=Distribution.ORGANISATION)
    proposal = _propose(world, "pat@example.org")
    assert (proposal.active, proposal.awaiting_consent) == (False, True)
    pat = User.objects.get(email="pat@example.org")
    assert world.stores["nw-brighton"].pk not in viewer_for(pat).store_ids

    security = _signed_in(world, "security")
    page = security.get("/account/store-roles/").content.decode()
    assert "Confirm pat@example.org" in page
    done = security.post("/account/store-roles/", {"membership": proposal.pk, "decision": "consent"})
    assert done.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.active, proposal.awaiting_consent) == (True, False)
    pat = User.objects.get(email="pat@example.org")
    assert can_see(viewer_for(pat), private)
    assert "Nothing is waiting for you" in security.get("/account/store-roles/").content.decode()


def test_only_the_stores_manager_or_the_retailers_security_manager_may_consent(world: World) -> None:
    at_brighton = _propose(world, "one@example.org", store="nw-brighton")
    at_hove = _propose(world, "two@example.org", store="nw-hove")
    # The store's manager answers for their own store only.
    manager = _signed_in(world, "manager")
    page = manager.get("/account/store-roles/").content.decode()
    assert "Confirm one@example.org" in page
    assert "two@example.org" not in page
    refused = manager.post("/account/store-roles/", {"membership": at_hove.pk, "decision": "consent"})
    assert refused.status_code == 422
    assert not Membership.objects.get(pk=at_hove.pk).active
    # A refusal drops the proposal.
    manager.post("/account/store-roles/", {"membership": at_brighton.pk, "decision": "refuse"})
    at_brighton.refresh_from_db()
    assert (at_brighton.active, at_brighton.awaiting_consent) == (False, False)
    # Neither the partnership manager nor a reporter nor another retailer has the page.
    for name in ("partnership_manager", "reporter", "same_partnership_reporter", "police_sussex"):
        assert _signed_in(world, name).get("/account/store-roles/").status_code == 404, name
        with pytest.raises(NotEntitled):
            services.membership_consent(viewer=world.viewer(name), membership_id=at_hove.pk, consent=True)


def test_nobody_consents_to_their_own_role(world: World) -> None:
    # Northway's security manager is proposed as a reporter at a Northway store: they cannot confirm it.
    proposal = _propose(world, "security@example.org", store="nw-brighton")
    with pytest.raises(NotEntitled):
        services.membership_consent(viewer=world.viewer("security"), membership_id=proposal.pk, consent=True)
    assert (
        "security@example.org"
        not in _signed_in(world, "security").get("/account/store-roles/").content.decode()
    )
    # The store's manager can.
    services.membership_consent(viewer=world.viewer("manager"), membership_id=proposal.pk, consent=True)
    assert Membership.objects.get(pk=proposal.pk).active


def test_the_operator_adds_a_store_role_at_once(world: World) -> None:
    added = services.membership_add(
        viewer=world.viewer("admin"),
        partnership=world.orgs["brighton-bcrp"],
        store_id=world.stores["nw-hove"].pk,
        email="direct@example.org",
        full_name="Direct Add",
        role=Role.STORE_REPORTER,
    )
    assert not added.awaiting_consent
    assert added.membership.active

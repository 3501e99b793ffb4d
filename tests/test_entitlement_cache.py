"""API keys reuse their entitlements between requests, and a change made through ShopWatch applies at once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import Membership
from shopwatch.core.services import membership_deactivate
from tests.world import World


@pytest.mark.django_db
@override_settings(SHOPWATCH_ENTITLEMENT_CACHE_SECONDS=30)
def test_cached_entitlements_follow_membership_changes(
    world: World, client: Client, django_capture_on_commit_callbacks: object
) -> None:
    cache.clear()
    key = apikey_create(viewer=world.viewer("reporter"), user=world.users["reporter"], name="till").secret
    headers = {"Authorization": f"Bearer {key}"}
    store = world.stores["nw-brighton"].pk

    def stores() -> list[int]:
        return [
            s["id"] for s in client.get("/api/v1/stores", headers=headers).json()["items"] if s["can_report"]
        ]

    assert stores() == [store]
    membership = Membership.objects.get(user=world.users["reporter"])
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        membership_deactivate(
            viewer=world.viewer("partnership_manager"),
            partnership=world.orgs["brighton-bcrp"],
            membership_id=membership.pk,
        )
    assert stores() == []
    body = {"store": store, "type": "theft", "occurred_at": "2026-01-05T10:00:00Z", "description": "x"}
    refused = client.post("/api/v1/incidents", body, content_type="application/json", headers=headers)
    assert refused.status_code == 422

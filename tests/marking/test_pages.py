"""The marking page lists a store's kits and looks codes up through the same filter."""

from __future__ import annotations

from django.test import Client

from shopwatch.marking import services
from tests.world import World


def test_kits_page_and_lookup(world: World) -> None:
    kit = services.kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smarttag",
        kind="fixed",
        batch="B7",
        code="ST-000501",
    )
    mine = Client()
    mine.force_login(world.users["reporter"])
    page = mine.get("/marking/", {"code": "st-000501"})
    assert kit.code.encode() in page.content
    assert b"Contact: Northway Foods" in page.content
    other = Client()
    other.force_login(world.users["same_partnership_reporter"])
    page = other.get("/marking/", {"code": "ST-000501"})
    assert b"Contact:" not in page.content
    assert b"No kit or marked property" in page.content

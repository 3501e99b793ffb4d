"""The gallery's add page as a partnership manager uses it: a likely duplicate shows the merge offer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from shopwatch.intelligence.services.galleries import gallery_add_person
from tests.core.support import sign_in_verified
from tests.world import World


@pytest.mark.django_db
def test_adding_a_name_the_partnership_already_holds_offers_the_merge(world: World, client: Client) -> None:
    held = gallery_add_person(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        given_name="Kyle",
        family_name="Marsh",
        date_of_birth=dt.date(1990, 5, 1),
        description="Tall, grey hoodie",
        reason="Repeated thefts of meat",
    )
    sign_in_verified(client, world.users["partnership_manager"])
    form = {
        "given_name": "kyle",
        "family_name": "MARSH",
        "date_of_birth": "1990-05-01",
        "description": "Grey hoodie",
        "reason": "Theft of razors",
    }
    page = client.post("/intelligence/galleries/brighton-bcrp/add/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert "The partnership may already hold this person" in html
    assert "Kyle Marsh" in html
    assert "Kyle Marsh (born 1990, listed " in html
    assert f"record {held.person.pk}" not in html
    assert 'value="Theft of razors"' in html

    confirmed = client.post("/intelligence/galleries/brighton-bcrp/add/", {**form, "confirm_new": "on"})
    assert confirmed.status_code == 302

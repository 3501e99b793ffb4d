"""The data protection page describes the people held as a user knows them, never by internal number."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from shopwatch.intelligence.services.galleries import gallery_add_person
from tests.core.support import sign_in_verified
from tests.world import World


@pytest.mark.django_db
def test_people_held_are_named_with_their_year_of_birth_not_a_number(world: World, client: Client) -> None:
    held = gallery_add_person(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        given_name="Kyle",
        family_name="Marsh",
        date_of_birth=dt.date(1990, 5, 1),
        description="Tall, grey hoodie",
        reason="Repeated thefts of meat",
    ).person
    sign_in_verified(client, world.users["partnership_manager"])
    page = client.get("/intelligence/partnerships/brighton-bcrp/data-protection/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<td>Kyle Marsh (born 1990)</td>" in html
    assert f"Kyle Marsh ({held.pk})" not in html
    assert f"record {held.pk}" not in html

"""Every role's main menu leads somewhere: each link it shows answers 200 for that role (no dead ends)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shopwatch.core.middleware import needs_two_factor
from shopwatch.core.models import OrganisationKind, Role, User
from tests.core.support import sign_in_verified
from tests.world import World, _org, _user

NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
HREF = re.compile(r'<a href="([^"]+)"')


def _menu(client: Client) -> list[str]:
    page = client.get("/", follow=True)
    assert page.status_code == 200
    nav = NAV.search(page.content.decode())
    assert nav is not None
    return HREF.findall(nav.group(1))


@pytest.mark.django_db
def test_every_menu_link_answers_200_for_every_role(world: World) -> None:
    _national_analyst(world)
    dead: list[str] = []
    for name, user in world.users.items():
        client = Client()
        account = User.objects.get(pk=user.pk)
        if needs_two_factor(account):
            sign_in_verified(client, account)
        else:
            client.force_login(account)
        links = _menu(client)
        assert links, name
        for href in links:
            status = client.get(href).status_code
            if status != 200:
                dead.append(f"{name}: {href} answers {status}")
    assert dead == []


def _national_analyst(world: World) -> User:
    """An analyst of a national unit (as in the demo): police, but of no force, so no triage queue."""
    _org(world, "opal", OrganisationKind.NATIONAL_UNIT, "Opal")
    return _user(world, "national_analyst", Role.ANALYST, "opal")


@pytest.mark.django_db
def test_an_analyst_is_not_offered_the_triage_queue(world: World) -> None:
    for account in (_national_analyst(world), world.users["analyst_sussex"]):
        client = Client()
        sign_in_verified(client, User.objects.get(pk=account.pk))
        assert "/police/queue/" not in _menu(client)

"""People pages: scoped lists, 404 for unseen records, audited views and exports."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from shopwatch.core.models import AuditEvent, Distribution
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.world import World


def _login(client: Client, world: World, name: str) -> None:
    client.force_login(world.users[name])


def _person(world: World, **kw: Any) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Danny",
        family_name="Fletcher",
        aliases=["Fletch"],
        **kw,
    )


def test_member_lists_opens_and_exports_partnership_person(world: World, client: Client) -> None:
    person = _person(world)
    _login(client, world, "reporter")
    page = client.get("/people/?q=fletch")
    assert page.status_code == 200
    assert "Danny Fletcher" in page.content.decode()
    detail = client.get(f"/people/{person.pk}/")
    assert detail.status_code == 200
    assert AuditEvent.objects.filter(
        action="view", object_type="person", object_id=str(person.pk), actor=world.users["reporter"]
    ).exists()
    export = client.get("/people/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [r["family_name"] for r in rows] == ["Fletcher"]
    assert AuditEvent.objects.filter(
        action="export", object_type="person", actor=world.users["reporter"]
    ).exists()


def test_unconnected_partnership_cannot_find_or_open_person(world: World, client: Client) -> None:
    person = _person(world)
    _login(client, world, "unconnected_reporter")
    assert "Danny Fletcher" not in client.get("/people/?q=Fletcher").content.decode()
    assert client.get(f"/people/{person.pk}/").status_code == 404
    assert client.get("/people/999999/").status_code == 404
    export = client.get("/people/export.csv").content.decode()
    assert "Fletcher" not in export


def test_organisation_only_person_hidden_from_store_staff(world: World, client: Client) -> None:
    person = _person(world, distribution=Distribution.ORGANISATION)
    _login(client, world, "reporter")
    assert client.get(f"/people/{person.pk}/").status_code == 404

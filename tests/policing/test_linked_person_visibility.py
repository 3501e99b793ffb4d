"""A linked person's details reach police only under the rule that applies everywhere else.

An incident may name a known person from a partnership's records. The officer triaging it, the handoff.json
they download, and the POLE document sent to the force's records system show the person's name, date of
birth and features only when the person's own record is visible to them (its distribution and place, ADR 2).
Otherwise they say a known person is linked, without who: as the incident page and the API already do.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from shopwatch.core.models import Distribution, User
from shopwatch.policing.payload import build_payload
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.core.support import sign_in_verified
from tests.world import World


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    cache.clear()


def _person(world: World, distribution: str) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Rowan",
        family_name="Marchbank",
        date_of_birth=dt.date(1990, 4, 17),
        description="Scar over the left eyebrow",
        distribution=distribution,
    )


def _incident_naming(world: World, person: Person) -> Incident:
    return world.report(
        "reporter",
        "nw-brighton",
        distribution=Distribution.PARTNERSHIP,
        report_to_police=True,
        offenders=[OffenderInput(person_id=person.pk, description="Tall, grey hoodie")],
    )


def _officer(world: World) -> Client:
    client = Client()
    sign_in_verified(client, User.objects.get(pk=world.users["police_sussex"].pk))
    return client


def _suspect(payload: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in payload["people"] if p.get("role") == "suspect")


def test_a_partnership_only_person_is_not_named_to_police(world: World) -> None:
    """Brighton BCRP keeps the person for its members only; Sussex police may not see the record, so neither
    the triage page, the downloaded hand-off nor the document sent to the force names them."""
    person = _person(world, Distribution.PARTNERSHIP)
    incident = _incident_naming(world, person)
    client = _officer(world)
    assert client.get(f"/people/{person.pk}/").status_code == 404  # the rule everywhere else

    page = client.get(f"/police/incidents/{incident.pk}/").content.decode()
    assert "A known person" in page
    assert "Marchbank" not in page
    assert "Rowan" not in page

    download = client.get(f"/police/incidents/{incident.pk}/handoff.json")
    assert download.status_code == 200
    text = download.content.decode()
    for detail in ("Marchbank", "1990-04-17", "eyebrow"):
        assert detail not in text
    suspect = _suspect(json.loads(text))
    assert suspect == {
        "id": "P1",
        "role": "suspect",
        "description": "Tall, grey hoodie",
        "known": True,
        "shared": False,
    }

    sent = _suspect(build_payload(Incident.objects.select_related("store", "force").get(pk=incident.pk)))
    assert "given_name" not in sent
    assert "date_of_birth" not in sent
    assert sent["shared"] is False


def test_a_person_shared_with_police_is_named_with_their_details(world: World) -> None:
    person = _person(world, Distribution.POLICE)
    incident = _incident_naming(world, person)
    client = _officer(world)
    assert client.get(f"/people/{person.pk}/").status_code == 200

    page = client.get(f"/police/incidents/{incident.pk}/").content.decode()
    assert "Known: Rowan Marchbank" in page

    suspect = _suspect(json.loads(client.get(f"/police/incidents/{incident.pk}/handoff.json").content))
    assert (suspect["given_name"], suspect["family_name"], suspect["date_of_birth"]) == (
        "Rowan",
        "Marchbank",
        "1990-04-17",
    )
    sent = _suspect(build_payload(Incident.objects.select_related("store", "force").get(pk=incident.pk)))
    assert sent["shopwatch_person_id"] == person.pk

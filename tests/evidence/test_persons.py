"""Evidence attached to persons: recording who a file shows, seeing it from the person, taking a still as
their photo; the pairing widens no one's access and the chain of custody keeps only the person's id."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.http import Http404
from django.test import Client

from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.evidence import people
from shopwatch.evidence.models import CustodyAction, EvidenceFile, EvidencePerson
from shopwatch.evidence.selectors import evidence_for_person, evidence_persons
from shopwatch.evidence.services import evidence_add
from shopwatch.evidence.verify import evidence_verify
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person, PersonPhoto
from shopwatch.subjects.services import person_create, person_erase
from tests.evidence.images import jpeg_bytes
from tests.evidence.test_evidence_api import api
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _person(world: World, distribution: str = "partnership") -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Danny",
        family_name="Fletcher",
        distribution=distribution,
    )


def _still(world: World, person: Person, distribution: str = "partnership") -> tuple[Incident, EvidenceFile]:
    incident = world.report(
        "reporter",
        "nw-brighton",
        offenders=[OffenderInput(person_id=person.pk)],
        distribution=distribution,
        report_to_police=True,
    )
    evidence = evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes((30, 30, 160), size=(800, 600))),
        filename="till-still.jpg",
    )
    return incident, evidence


def test_a_reporter_records_who_a_still_shows_and_the_person_lists_it(world: World) -> None:
    person = _person(world)
    _, evidence = _still(world, person)
    reporter = world.viewer("reporter")
    assert people.person_candidates(viewer=reporter, evidence=evidence) == [person]
    pairing = people.evidence_person_add(
        viewer=reporter, evidence_id=evidence.pk, person_id=person.pk, note="At the till, 10:02"
    )
    assert pairing.note == "At the till, 10:02"
    assert people.person_candidates(viewer=reporter, evidence=evidence) == []
    manager = world.viewer("partnership_manager")
    _, files = evidence_for_person(viewer=manager, person_id=person.pk)
    assert [f.pk for f in files] == [evidence.pk]
    entry = evidence.custody.get(action=CustodyAction.LINKED)
    assert entry.detail == {"person": person.pk}  # no name in the chain: a person can be erased
    with pytest.raises(ValidationFailed):  # twice is refused, clearly
        people.evidence_person_add(viewer=reporter, evidence_id=evidence.pk, person_id=person.pk)


def test_the_pairing_widens_no_ones_access(world: World) -> None:
    person = _person(world, distribution="connected")
    _, evidence = _still(world, person, distribution="organisation")
    people.evidence_person_add(viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=person.pk)
    # Crawley's reporter may see the person (connected partnership) but not Northway's incident or its file.
    crawley = world.viewer("connected_reporter")
    _, files = evidence_for_person(viewer=crawley, person_id=person.pk)
    assert files == []
    # Someone who may not see the person gets the same 404 as for no person at all.
    with pytest.raises(Http404):
        evidence_for_person(viewer=world.viewer("unconnected_reporter"), person_id=person.pk)
    # A viewer who sees the file but not the person does not learn about the pairing.
    assert evidence_persons(viewer=world.viewer("pcc"), evidence=evidence) == []


def test_pairing_is_refused_clearly(world: World) -> None:
    person = _person(world)
    _, evidence = _still(world, person)
    with pytest.raises(ValidationFailed) as exc:
        people.evidence_person_add(viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=999999)
    assert exc.value.errors[0].field == "person"
    # Hove's reporter sees both (same partnership) but reports for no store of the file's incidents.
    with pytest.raises(NotEntitled):
        people.evidence_person_add(
            viewer=world.viewer("other_store_reporter"), evidence_id=evidence.pk, person_id=person.pk
        )
    with pytest.raises(Http404):
        people.evidence_person_add(
            viewer=world.viewer("unconnected_reporter"), evidence_id=evidence.pk, person_id=person.pk
        )
    assert not EvidencePerson.objects.exists()


def test_a_still_becomes_the_persons_photo_and_the_copy_is_in_custody(world: World) -> None:
    person = _person(world)
    _, evidence = _still(world, person)
    people.evidence_person_add(viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=person.pk)
    # Only the partnership that keeps the person's record adds images to it.
    with pytest.raises(NotEntitled):
        people.evidence_person_photo(
            viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=person.pk
        )
    assert not PersonPhoto.objects.exists()
    photo = people.evidence_person_photo(
        viewer=world.viewer("admin"), evidence_id=evidence.pk, person_id=person.pk
    )
    assert (photo.sha256, photo.source_evidence_id) == (evidence.sha256, evidence.pk)
    exported = evidence.custody.get(action=CustodyAction.EXPORTED)
    assert exported.detail == {"to": "person photo", "person": person.pk, "photo": photo.pk}
    assert evidence_verify().problems == []


def test_erasing_the_person_removes_the_pairing_and_keeps_the_chain_intact(world: World) -> None:
    person = _person(world)
    _, evidence = _still(world, person)
    people.evidence_person_add(viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=person.pk)
    people.evidence_person_remove(
        viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=person.pk, reason="Wrong man"
    )
    people.evidence_person_add(viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=person.pk)
    person_erase(viewer=world.viewer("partnership_manager"), person=person, reason="Identified wrongly")
    assert not EvidencePerson.objects.exists()
    assert list(evidence.custody.order_by("seq").values_list("action", flat=True)) == [
        CustodyAction.RECEIVED,
        CustodyAction.LINKED,
        CustodyAction.UNLINKED,
        CustodyAction.LINKED,
    ]
    assert "Danny" not in str(list(evidence.custody.values_list("detail", flat=True)))
    assert evidence_verify().problems == []


def test_the_api_and_the_page(world: World) -> None:
    person = _person(world)
    _, evidence = _still(world, person)
    call = api(world, "reporter")
    bad = call("post", f"/api/v1/evidence/{evidence.pk}/persons", {"person": "x"})
    assert bad.status_code == 422
    made = call("post", f"/api/v1/evidence/{evidence.pk}/persons", {"person": person.pk, "note": "till"})
    assert made.status_code == 201, made.content
    listed = call("get", f"/api/v1/persons/{person.pk}/evidence")
    assert [i["id"] for i in listed.json()["items"]] == [evidence.pk]
    assert call("get", "/api/v1/persons/999999/evidence").status_code == 404
    assert call("delete", f"/api/v1/evidence/{evidence.pk}/persons/{person.pk}").status_code == 422
    assert call("delete", f"/api/v1/evidence/{evidence.pk}/persons/{person.pk}?reason=No").status_code == 204

    client = Client()
    client.force_login(world.users["reporter"])
    page = client.get(f"/evidence/{evidence.pk}/").content.decode()
    assert "Record who this file shows" in page
    assert "Danny Fletcher" in page
    added = client.post(f"/evidence/{evidence.pk}/persons", {"person": person.pk, "note": "till"})
    assert added.status_code == 302
    page = client.get(f"/evidence/{evidence.pk}/").content.decode()
    assert f'href="/people/{person.pk}/"' in page
    assert "Remove Danny Fletcher" in page
    refused = client.post(f"/evidence/{evidence.pk}/persons/{person.pk}/remove", {"reason": ""})
    assert refused.status_code == 400
    assert "Say why the file does not show this person." in refused.content.decode()


def test_the_person_page_lists_the_evidence_that_shows_them(world: World) -> None:
    person = _person(world, distribution="connected")
    _, evidence = _still(world, person, distribution="organisation")
    people.evidence_person_add(viewer=world.viewer("reporter"), evidence_id=evidence.pk, person_id=person.pk)
    client = Client()
    client.force_login(world.users["reporter"])
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "Evidence that shows them" in page
    assert f'href="/evidence/{evidence.pk}/"' in page
    # Crawley's reporter sees the person but not Northway's file: the section says so, nothing more.
    other = Client()
    other.force_login(world.users["connected_reporter"])
    response = other.get(f"/people/{person.pk}/")
    assert response.status_code == 200
    assert "Danny Fletcher" in response.content.decode()
    assert f'href="/evidence/{evidence.pk}/"' not in response.content.decode()

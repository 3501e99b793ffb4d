"""The pages: search a still, review candidates side by side, decide; the processing record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from shopwatch.evidence.models import EvidenceFile
from shopwatch.faces.models import FaceDecision, FaceEncoding, FaceExclusion, FaceSearch, FaceSettings
from shopwatch.faces.services import face_encodings_refresh
from tests.faces.conftest import Faces
from tests.policing.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db


def test_an_investigator_searches_reviews_side_by_side_and_decides(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    person = faces.person(2)
    face_encodings_refresh()
    still = still_of(2)
    client: Client = signed_in(world, "police_sussex")
    page = client.get("/faces/")
    assert page.status_code == 200
    assert f'value="{still.pk}"' in page.content.decode()
    answer = client.post("/faces/", {"evidence": still.pk, "purpose": "Theft 47/1234"})
    search = FaceSearch.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/faces/searches/{search.pk}/"
    page = client.get(answer["Location"])
    html = page.content.decode()
    assert "candidates for you to review, not identifications" in html
    assert person.display_name in html
    candidate = search.candidates.get()
    for url in (
        f"/faces/searches/{search.pk}/probe/{candidate.pk}.jpg",
        f"/faces/searches/{search.pk}/candidates/{candidate.pk}.jpg",
    ):
        image = client.get(url)
        assert image.status_code == 200
        assert image["Content-Type"] == "image/jpeg"
        assert image["Cache-Control"] == "private, no-store"
    refused = client.post(f"/faces/searches/{search.pk}/decide/", {"choice": "match:", "reason": "Same"})
    assert refused.status_code == 422
    done = client.post(
        f"/faces/searches/{search.pk}/decide/", {"choice": f"match:{candidate.pk}", "reason": "Same scar"}
    )
    assert done.status_code == 302
    decision = FaceDecision.objects.get()
    assert (decision.outcome, decision.reviewer_id) == ("match", world.users["police_sussex"].pk)


def test_pages_are_404_for_those_who_may_not_search(world: World) -> None:
    for name in ("reporter", "partnership_manager", "analyst_sussex", "pcc"):
        assert signed_in(world, name).get("/faces/").status_code == 404, name


def test_a_partnership_manager_records_the_dpia_on_the_processing_record(world: World) -> None:
    client = signed_in(world, "partnership_manager")
    page = client.get("/faces/processing/brighton-bcrp/")
    assert page.status_code == 200
    assert "Measured false-match rate" in page.content.decode()
    refused = client.post("/faces/processing/brighton-bcrp/", {"enabled": "on"})
    assert refused.status_code == 422
    saved = client.post(
        "/faces/processing/brighton-bcrp/",
        {"enabled": "on", "dpia_reference": "DPIA-7", "dpia_approved_on": dt.date(2026, 6, 1).isoformat()},
    )
    assert saved.status_code == 302
    row = FaceSettings.objects.get(partnership=world.orgs["brighton-bcrp"])
    assert (row.enabled, row.dpia_reference) == (True, "DPIA-7")
    assert signed_in(world, "partnership_manager").get("/faces/").status_code == 200
    assert signed_in(world, "police_sussex").post("/faces/processing/brighton-bcrp/", {}).status_code == 404


def test_police_flag_a_person_vulnerable_from_the_processing_record(world: World, faces: Faces) -> None:
    person = faces.person(2)
    face_encodings_refresh()
    client = signed_in(world, "police_sussex")
    page = client.get("/faces/processing/brighton-bcrp/").content.decode()
    assert "Flag a person vulnerable" in page
    # The person is picked by name, never asked for by an internal number.
    assert "record number" not in page
    assert f'data-url="{reverse("reporting:pick-people")}"' in page
    unknown = client.post(
        "/faces/processing/brighton-bcrp/",
        {"form": "flag", "person": "Nobody Atall", "note": "Care leaver"},
    )
    assert unknown.status_code == 422
    assert "No person called ‘Nobody Atall’" in unknown.content.decode()
    twins = faces.person(3, name="Sam")
    ambiguous = client.post(
        "/faces/processing/brighton-bcrp/", {"form": "flag", "person": "Sam", "note": "Care leaver"}
    )
    assert ambiguous.status_code == 422
    offered = ambiguous.content.decode()
    assert "More than one person fits ‘Sam’" in offered
    assert person.display_name in offered
    assert twins.display_name in offered
    assert not FaceExclusion.objects.exists()
    answer = client.post(
        "/faces/processing/brighton-bcrp/",
        {"form": "flag", "person": person.display_name.lower(), "note": "Care leaver"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/faces/processing/brighton-bcrp/"
    assert FaceExclusion.objects.filter(person=person).exists()
    assert not FaceEncoding.objects.filter(person=person).exists()
    # A reporter may not flag anyone: the same 404 as a missing person.
    assert (
        signed_in(world, "reporter").post(f"/faces/people/{person.pk}/vulnerable/", {"note": "x"}).status_code
        == 404
    )


def test_the_menu_shows_face_search_to_those_who_may_search(world: World) -> None:
    assert 'href="/faces/"' in signed_in(world, "police_sussex").get("/alerts/").content.decode()
    assert 'href="/faces/"' not in signed_in(world, "reporter").get("/alerts/").content.decode()

"""The face search API: search a still, read the search, record a decision; problems name each field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache

from shopwatch.evidence.models import EvidenceFile
from shopwatch.faces import engine
from shopwatch.faces.services import face_encodings_refresh
from tests.api.support import api_client_for
from tests.faces.conftest import Faces
from tests.world import World

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def test_search_read_and_decide_through_the_api(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    cache.clear()
    wanted = faces.person(2)
    face_encodings_refresh()
    still = still_of(2)
    police = api_client_for(world, "police_sussex")

    made = police.post("/api/v1/faces/searches", {"evidence": still.pk, "purpose": "Theft 47/1234"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["evidence"] == still.pk
    assert body["threshold"] == engine.MATCH_THRESHOLD
    assert body["status"] == "awaiting"
    (candidate,) = body["candidates"]
    assert candidate["kind"] == "candidate"
    assert candidate["person"]["id"] == wanted.pk
    assert candidate["source"] == "gallery photo"
    assert candidate["similarity"] >= engine.MATCH_THRESHOLD

    assert police.get(f"/api/v1/faces/searches/{body['id']}").json()["candidates"] == body["candidates"]
    other = api_client_for(world, "police_tv").get(f"/api/v1/faces/searches/{body['id']}")
    assert other.status_code == 404
    assert other["Content-Type"] == PROBLEM

    decide = f"/api/v1/faces/searches/{body['id']}/decisions"
    bad = police.post(decide, {"outcome": "match", "reason": "Ears"})
    assert bad.status_code == 422
    assert bad["Content-Type"] == PROBLEM
    assert "candidate" in bad.content.decode()
    done = police.post(decide, {"outcome": "match", "candidate": candidate["id"], "reason": "Same scar"})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["outcome"]) == ("decided", "match")
    assert done.json()["decisions"][0]["candidate"] == candidate["id"]


def test_those_who_may_not_search_are_refused_with_a_problem(
    world: World, faces: Faces, still_of: Callable[[int], EvidenceFile]
) -> None:
    cache.clear()
    still = still_of(2)
    answer = api_client_for(world, "reporter").post(
        "/api/v1/faces/searches", {"evidence": still.pk, "purpose": "Curious"}
    )
    assert answer.status_code == 403
    assert answer["Content-Type"] == PROBLEM
    police = api_client_for(world, "police_sussex")
    bad = police.post("/api/v1/faces/searches", {"evidence": 0, "purpose": ""})
    assert bad.status_code == 422
    assert bad["Content-Type"] == PROBLEM

"""Idempotency keys: a retried report gets its first answer and creates nothing new."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache

from shopwatch.core.errors import Conflict, ValidationFailed
from shopwatch.core.idempotency import request_fingerprint, run_idempotent
from shopwatch.core.models import AuditEvent, IdempotencyRecord
from shopwatch.reporting import services
from shopwatch.reporting.models import Incident
from tests.api.support import PROBLEM, ApiClient, api_client_for, row_counts, smallest_body
from tests.world import World


@pytest.fixture
def reporter(world: World) -> ApiClient:
    cache.clear()
    return api_client_for(world, "reporter")


def test_same_key_and_body_returns_the_original_answer_and_creates_nothing(
    world: World, reporter: ApiClient
) -> None:
    body = smallest_body(world, external_ref="TILL-1")
    first = reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "till-1"})
    assert first.status_code == 201
    before = row_counts()
    again = reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "till-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert row_counts() == before
    assert AuditEvent.objects.filter(action="create", object_type="incident").count() == 1


def test_the_replay_is_the_first_answer_even_after_the_incident_moved_on(
    world: World, reporter: ApiClient
) -> None:
    body = smallest_body(world)
    first = reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "k"}).json()
    incident = Incident.objects.get(pk=first["id"])
    services.incident_send_to_police(viewer=world.viewer("manager"), incident=incident)
    again = reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "k"}).json()
    assert again == first
    assert again["status"] == "shared"


def test_the_same_meaning_in_other_words_is_the_same_request(world: World, reporter: ApiClient) -> None:
    body = smallest_body(world)
    first = reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "k"})
    reordered = dict(reversed(list(body.items())))
    spaced = json.dumps(reordered, indent=4)
    again = reporter.post_raw("/api/v1/incidents", spaced, "application/json", {"Idempotency-Key": "k"})
    assert again.status_code == 201
    assert again.json() == first.json()
    # Spelling out a default is the same request as leaving it out.
    explicit = reporter.post(
        "/api/v1/incidents", {**body, "flags": [], "report_to_police": False}, {"Idempotency-Key": "k"}
    )
    assert explicit.json() == first.json()
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"description": "Something else"},
        {"type": "robbery"},
        {"flags": ["weapon"]},
        {"report_to_police": True},
    ],
    ids=["description", "type", "flags", "report-to-police"],
)
def test_same_key_with_a_different_body_is_409_and_creates_nothing(
    world: World, reporter: ApiClient, change: dict[str, Any]
) -> None:
    body = smallest_body(world)
    reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "till-2"})
    before = row_counts()
    response = reporter.post("/api/v1/incidents", {**body, **change}, {"Idempotency-Key": "till-2"})
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert row_counts() == before


def test_keys_belong_to_the_user(world: World, reporter: ApiClient) -> None:
    manager = api_client_for(world, "manager")
    body = smallest_body(world)
    a = reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "shared-key"}).json()
    b = manager.post("/api/v1/incidents", body, {"Idempotency-Key": "shared-key"}).json()
    assert a["id"] != b["id"]
    assert Incident.objects.count() == 2


def test_two_keys_of_one_user_share_their_idempotency_keys(world: World, reporter: ApiClient) -> None:
    """A retailer rotating its API key mid-retry still gets the first answer."""
    second_key = api_client_for(world, "reporter")
    body = smallest_body(world)
    first = reporter.post("/api/v1/incidents", body, {"Idempotency-Key": "rotating"}).json()
    again = second_key.post("/api/v1/incidents", body, {"Idempotency-Key": "rotating"}).json()
    assert again == first


def test_without_a_key_each_request_creates(world: World, reporter: ApiClient) -> None:
    body = smallest_body(world)
    reporter.post("/api/v1/incidents", body)
    reporter.post("/api/v1/incidents", body)
    assert Incident.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


# --- The mechanism itself -------------------------------------------------------------------------


def test_produce_runs_once_per_key(world: World) -> None:
    user_id = world.users["reporter"].pk
    calls: list[int] = []

    def produce() -> tuple[int, dict[str, Any]]:
        calls.append(1)
        return 201, {"n": len(calls)}

    fp = request_fingerprint({"a": 1})
    assert run_idempotent(user_id=user_id, key="k", fingerprint=fp, produce=produce) == (201, {"n": 1}, False)
    assert run_idempotent(user_id=user_id, key="k", fingerprint=fp, produce=produce) == (201, {"n": 1}, True)
    assert calls == [1]
    with pytest.raises(Conflict):
        run_idempotent(user_id=user_id, key="k", fingerprint=request_fingerprint({"a": 2}), produce=produce)


def test_a_failed_produce_claims_nothing_and_writes_nothing(world: World) -> None:
    user_id = world.users["reporter"].pk

    def produce() -> tuple[int, dict[str, Any]]:
        world.report("reporter", "nw-brighton")
        raise ValidationFailed([])

    before = row_counts()
    with pytest.raises(ValidationFailed):
        run_idempotent(user_id=user_id, key="k", fingerprint="f", produce=produce)
    assert row_counts() == before
    assert not IdempotencyRecord.objects.exists()


def test_fingerprints_ignore_spacing_and_key_order_but_not_values() -> None:
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint({"b": [1, 2], "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": "1"})
    assert request_fingerprint({"b": [1, 2]}) != request_fingerprint({"b": [2, 1]})

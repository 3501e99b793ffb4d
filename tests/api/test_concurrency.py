"""Retries racing each other over real HTTP: a live server, a pool of clients, one database.

Runs on SQLite (a file, so each request thread has its own connection) and on PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from shopwatch.core.models import AuditEvent, IdempotencyRecord
from shopwatch.reporting.models import Incident
from tests.api.support import api_client_for, smallest_body
from tests.world import World

THREADS = 16
TRIES = 3


def _race(url: str, requests: list[tuple[dict[str, Any], dict[str, str]]]) -> list[httpx.Response]:
    """Send each (body, headers) from its own client, all released at the same moment."""
    barrier = threading.Barrier(len(requests))

    def send(job: tuple[dict[str, Any], dict[str, str]]) -> list[httpx.Response]:
        body, headers = job
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            return [client.post(url, json=body, headers=headers) for _ in range(TRIES)]

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return [r for batch in pool.map(send, requests) for r in batch]


@pytest.fixture
def server_url(live_server: Any) -> str:
    return str(live_server.url)


def test_the_same_report_replayed_concurrently_creates_exactly_one_incident(
    server_url: str, world: World
) -> None:
    a = api_client_for(world, "reporter")
    body = smallest_body(world, external_ref="TILL-3-000417")
    headers = {"Authorization": f"Bearer {a.secret}", "Idempotency-Key": "till-3-000417"}
    responses = _race(f"{server_url}/api/v1/incidents", [(body, headers)] * THREADS)

    assert len(responses) == THREADS * TRIES
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    answers = [r.json() for r in responses]
    assert all(answer == answers[0] for answer in answers)
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == THREADS * TRIES - 1
    assert Incident.objects.count() == 1
    assert Incident.objects.get().pk == answers[0]["id"]
    assert IdempotencyRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="incident").count() == 1


def test_concurrent_different_reports_are_all_created(server_url: str, world: World) -> None:
    a = api_client_for(world, "security")
    jobs = [
        (
            smallest_body(world, "nw-hove", external_ref=f"NW-{i}"),
            {"Authorization": f"Bearer {a.secret}", "Idempotency-Key": f"nw-{i}"},
        )
        for i in range(THREADS)
    ]
    responses = _race(f"{server_url}/api/v1/incidents", jobs)
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    assert Incident.objects.count() == THREADS
    assert sorted(Incident.objects.values_list("external_ref", flat=True)) == sorted(
        f"NW-{i}" for i in range(THREADS)
    )


def test_the_same_batch_replayed_concurrently_creates_each_item_once(server_url: str, world: World) -> None:
    a = api_client_for(world, "reporter")
    items = [smallest_body(world, external_ref=f"B-{i}") for i in range(5)]
    headers = {"Authorization": f"Bearer {a.secret}", "Idempotency-Key": "nightly-2026-03-01"}
    responses = _race(f"{server_url}/api/v1/incidents/batch", [({"incidents": items}, headers)] * 8)
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses if r.status_code != 200]
    ids = {res["incident"]["id"] for r in responses for res in r.json()["results"]}
    assert len(ids) == 5
    assert Incident.objects.count() == 5
    assert all(res["status"] in (200, 201) for r in responses for res in r.json()["results"])


def test_the_same_key_from_two_users_is_two_reports(server_url: str, world: World) -> None:
    """Keys belong to the caller: two retailers' systems may happen to use the same key."""
    jobs = []
    for name, store in (("reporter", "nw-brighton"), ("same_partnership_reporter", "corner-brighton")):
        key = api_client_for(world, name)
        jobs += [
            (smallest_body(world, store), {"Authorization": f"Bearer {key.secret}", "Idempotency-Key": "1"})
        ] * 4
    responses = _race(f"{server_url}/api/v1/incidents", jobs)
    assert {r.status_code for r in responses} == {201}
    assert Incident.objects.count() == 2

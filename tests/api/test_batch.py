"""POST /api/v1/incidents/batch: up to 500 reports, one result each, idempotent per item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from shopwatch.reporting.models import Incident
from tests.api.support import PROBLEM, ApiClient, row_counts, smallest_body
from tests.world import World

Api = Callable[[str], ApiClient]
BATCH = "/api/v1/incidents/batch"


def _items(world: World, n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        smallest_body(world, description=f"Report number {i}", external_ref=f"NW-{i}", **extra)
        for i in range(n)
    ]


def test_each_item_is_judged_on_its_own(world: World, api: Api) -> None:
    a = api("reporter")
    items = _items(world, 3)
    items[1]["occurred_at"] = "1980-01-01T00:00:00Z"
    items.insert(2, {"store": "x", "type": "theft"})
    response = a.post(BATCH, {"incidents": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["replayed"], body["failed"]) == (2, 0, 2)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == [201, 422, 422, 201]
    assert [e["field"] for e in results[1]["errors"]] == ["incidents[1].occurred_at"]
    assert sorted(e["field"] for e in results[2]["errors"]) == [
        "incidents[2].description",
        "incidents[2].occurred_at",
        "incidents[2].store",
    ]
    created = {r["incident"]["id"]: r["incident"] for r in results if r["status"] == 201}
    assert set(Incident.objects.values_list("pk", flat=True)) == set(created)
    for result in created.values():
        assert result["reference"].startswith("SW-")
        assert result["priority"] == "P3"
        assert result["offence_class"]["code"] == "46"
    assert sorted(Incident.objects.values_list("external_ref", flat=True)) == ["NW-0", "NW-2"]


def test_header_key_makes_each_item_idempotent(world: World, api: Api) -> None:
    a = api("reporter")
    items = _items(world, 3)
    first = a.post(BATCH, {"incidents": items}, {"Idempotency-Key": "till-7-2026-03-01"}).json()
    assert first["created"] == 3
    before = row_counts()
    again = a.post(BATCH, {"incidents": items}, {"Idempotency-Key": "till-7-2026-03-01"}).json()
    assert (again["created"], again["replayed"], again["failed"]) == (0, 3, 0)
    assert [r["incident"] for r in again["results"]] == [r["incident"] for r in first["results"]]
    assert row_counts()["Incident"] == before["Incident"]

    # Add one item at the end: the first three replay, the new one is created.
    more = a.post(BATCH, {"incidents": [*items, *_items(world, 1)]}, {"Idempotency-Key": "till-7-2026-03-01"})
    assert [r["status"] for r in more.json()["results"]] == [200, 200, 200, 201]
    assert Incident.objects.count() == 4

    # Changing an item under the same key is a conflict for that item only.
    changed = [dict(item) for item in items]
    changed[1]["description"] = "Something else entirely"
    conflict = a.post(BATCH, {"incidents": changed}, {"Idempotency-Key": "till-7-2026-03-01"}).json()
    assert [r["status"] for r in conflict["results"]] == [200, 409, 200]
    assert Incident.objects.count() == 4


def test_item_keys_are_used_when_given(world: World, api: Api) -> None:
    a = api("reporter")
    items = _items(world, 2)
    items[0]["idempotency_key"] = "nw-incident-1001"
    items[1]["idempotency_key"] = "nw-incident-1002"
    assert a.post(BATCH, {"incidents": items}).json()["created"] == 2
    # Sent again in another order, and one on its own: matched by their own keys.
    again = a.post(BATCH, {"incidents": [items[1], items[0]]}).json()
    assert [r["status"] for r in again["results"]] == [200, 200]
    assert a.post(BATCH, {"incidents": [items[0]]}).json()["replayed"] == 1
    assert Incident.objects.count() == 2


def test_a_key_repeated_inside_one_batch_creates_one_incident(world: World, api: Api) -> None:
    a = api("reporter")
    item = {**_items(world, 1)[0], "idempotency_key": "dup"}
    body = a.post(BATCH, {"incidents": [item, item]}).json()
    assert [r["status"] for r in body["results"]] == [201, 409]
    assert Incident.objects.count() == 1


def test_without_keys_a_resent_batch_creates_again(world: World, api: Api) -> None:
    """No key, no idempotency: the contract only promises replay to callers that send a key."""
    a = api("reporter")
    items = _items(world, 2)
    a.post(BATCH, {"incidents": items})
    a.post(BATCH, {"incidents": items})
    assert Incident.objects.count() == 4


def test_500_items_are_accepted(world: World, api: Api) -> None:
    a = api("security")
    items = _items(world, settings.SHOPWATCH_BATCH_MAX)
    response = a.post(BATCH, {"incidents": items}, {"Idempotency-Key": "backfile"})
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 500
    assert len({r["incident"]["reference"] for r in body["results"]}) == 500
    assert Incident.objects.count() == 500


def test_501_items_are_refused_and_nothing_is_created(world: World, api: Api) -> None:
    a = api("security")
    before = row_counts()
    response = a.post(BATCH, {"incidents": _items(world, settings.SHOPWATCH_BATCH_MAX + 1)})
    assert response.status_code in (413, 422)
    assert response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["incidents"]
    assert row_counts() == before


def test_an_empty_or_malformed_batch_is_refused(world: World, api: Api) -> None:
    a = api("reporter")
    for body, field in [
        ({"incidents": []}, "incidents"),
        ({}, "incidents"),
        ({"incidents": [1, "x"]}, "incidents[0]"),
        ({"incidents": [], "extra": 1}, "extra"),
    ]:
        response = a.post(BATCH, body)
        assert response.status_code == 422, body
        assert response["Content-Type"] == PROBLEM
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json())
    assert Incident.objects.count() == 0


def test_items_for_stores_the_caller_may_not_report_for_fail_alone(world: World, api: Api) -> None:
    a = api("reporter")
    items = [
        smallest_body(world),
        smallest_body(world, "corner-brighton"),
        smallest_body(world, "oxshop-oxford"),
    ]
    results = a.post(BATCH, {"incidents": items}).json()["results"]
    assert [r["status"] for r in results] == [201, 422, 422]
    assert [e["field"] for e in results[1]["errors"]] == ["incidents[1].store"]
    assert Incident.objects.count() == 1

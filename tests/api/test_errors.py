"""Bad input: a problem document naming each bad field, never a 500, and nothing partly saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from tests.api.support import PROBLEM, ApiClient, field_names, row_counts, smallest_body
from tests.world import World

Api = Callable[[str], ApiClient]


def _refused(a: ApiClient, send: Callable[[], Any], status: int, fields: list[str]) -> dict[str, Any]:
    """Send a bad request; check the problem document and that no table gained a row."""
    before = row_counts()
    response = send()
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
        assert error["message"]
    assert sorted(field_names(response)) == sorted(fields)
    assert row_counts() == before
    return body


def _post(a: ApiClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> Callable[[], Any]:
    return lambda: a.post("/api/v1/incidents", body, headers)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ('{"store": 1,', 400),
        ("not json at all", 400),
        ("[1, 2, 3]", 400),
        ('"a string"', 400),
        (b"\xff\xfe{}", 400),
        ("{'store': 1}", 400),
        ("", 422),
    ],
    ids=["truncated", "prose", "array", "string", "not-utf8", "single-quotes", "empty"],
)
def test_invalid_json(world: World, api: Api, raw: str | bytes, status: int) -> None:
    a = api("reporter")
    _refused(a, lambda: a.post_raw("/api/v1/incidents", raw, "application/json"), status, ["body"])


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_wrong_content_type(world: World, api: Api, content_type: str) -> None:
    a = api("reporter")
    raw = json.dumps(smallest_body(world))
    _refused(a, lambda: a.post_raw("/api/v1/incidents", raw, content_type), 415, ["Content-Type"])


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"colour": "red"}, ["colour"]),
        ({"ethnicity": "x", "religion": "y"}, ["ethnicity", "religion"]),
        ({"goods": [{"description": "Gin", "value": 10, "barcode": "5000"}]}, ["goods[0].barcode"]),
        ({"vehicles": [{"registration": "AB12CDE", "vin": "X"}]}, ["vehicles[0].vin"]),
    ],
    ids=["top-level", "special-category", "in-goods", "in-vehicles"],
)
def test_unknown_fields(world: World, api: Api, extra: dict[str, Any], fields: list[str]) -> None:
    a = api("reporter")
    _refused(a, _post(a, smallest_body(world, **extra)), 422, fields)


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"store": "12"}, ["store"]),
        ({"store": None}, ["store"]),
        ({"store": 1.5}, ["store"]),
        ({"description": 42}, ["description"]),
        ({"report_to_police": "yes"}, ["report_to_police"]),
        ({"report_to_police": 1}, ["report_to_police"]),
        ({"type": "shoplifting"}, ["type"]),
        ({"flags": "violence"}, ["flags"]),
        ({"flags": ["violence", "arson"]}, ["flags[1]"]),
        ({"goods": {"description": "Gin"}}, ["goods"]),
        ({"goods": [{"description": "Gin", "value": "ten pounds"}]}, ["goods[0].value"]),
        ({"goods": [{"description": "Gin", "value": 10, "quantity": "2"}]}, ["goods[0].quantity"]),
        ({"distribution": "everyone"}, ["distribution"]),
        ({"offenders": [{"person": "Jo Bloggs"}]}, ["offenders[0].person"]),
        (
            {"store": "12", "description": 42, "report_to_police": "yes"},
            ["description", "report_to_police", "store"],
        ),
    ],
    ids=[
        "store-string",
        "store-null",
        "store-float",
        "description-number",
        "police-yes",
        "police-1",
        "type-unknown",
        "flags-not-list",
        "flag-unknown",
        "goods-not-list",
        "value-words",
        "quantity-string",
        "distribution-unknown",
        "person-name",
        "several-at-once",
    ],
)
def test_wrong_types(world: World, api: Api, change: dict[str, Any], fields: list[str]) -> None:
    a = api("reporter")
    _refused(a, _post(a, {**smallest_body(world), **change}), 422, fields)


@pytest.mark.parametrize(
    "missing",
    ["store", "type", "occurred_at", "description"],
)
def test_missing_required_fields(world: World, api: Api, missing: str) -> None:
    a = api("reporter")
    body = smallest_body(world)
    del body[missing]
    _refused(a, _post(a, body), 422, [missing])


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2200-01-01T12:00:00Z",
        "2099-06-01T00:00:00+01:00",
        "1989-12-31T23:59:00Z",
        "0001-01-01T00:00:00Z",
        "2024-02-30T10:00:00Z",
        "2024-13-01T10:00:00Z",
        "yesterday",
        "",
        1_700_000_000_000_000,
    ],
    ids=[
        "far-future",
        "future",
        "before-1990",
        "year-1",
        "feb-30",
        "month-13",
        "words",
        "empty",
        "huge-number",
    ],
)
def test_impossible_dates(world: World, api: Api, occurred_at: Any) -> None:
    a = api("reporter")
    _refused(a, _post(a, smallest_body(world, occurred_at=occurred_at)), 422, ["occurred_at"])


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"goods_value": -5}, ["goods_value"]),
        ({"goods_value": 1e12}, ["goods_value"]),
        ({"goods_value": "12.345"}, ["goods_value"]),
        ({"goods_value": "NaN"}, ["goods_value"]),
        ({"goods_value": "Infinity"}, ["goods_value"]),
        ({"goods": [{"description": "Gin", "value": -1}]}, ["goods[0].value"]),
        ({"goods": [{"description": "Gin", "value": 20_000_000}]}, ["goods[0].value"]),
        ({"goods": [{"description": "Gin", "value": 10, "quantity": 0}]}, ["goods[0].quantity"]),
        ({"goods": [{"description": "Gin", "value": 10, "quantity": -3}]}, ["goods[0].quantity"]),
        ({"goods": [{"description": "Gin", "value": 10, "quantity": 10**9}]}, ["goods[0].quantity"]),
        ({"goods": [{"description": "Gin", "value": 2_000_000}]}, ["goods[0].value"]),
        ({"goods": [{"description": f"Item {i}", "value": 900_000} for i in range(12)]}, ["goods"]),
        ({"goods": [{"description": "Gin", "value": 1}] * 101}, ["goods"]),
        ({"vehicles": [{"registration": "AB12CDE"}] * 11}, ["vehicles"]),
        ({"offenders": [{"description": "Tall"}] * 21}, ["offenders"]),
    ],
    ids=[
        "negative-total",
        "absurd-total",
        "fractional-pennies",
        "nan",
        "infinity",
        "negative-line",
        "absurd-line",
        "zero-quantity",
        "negative-quantity",
        "absurd-quantity",
        "line-over-a-million",
        "total-over-ten-million",
        "too-many-goods",
        "too-many-vehicles",
        "too-many-offenders",
    ],
)
def test_negative_or_absurd_values(world: World, api: Api, extra: dict[str, Any], fields: list[str]) -> None:
    a = api("reporter")
    _refused(a, _post(a, smallest_body(world, **extra)), 422, fields)


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"description": "x" * 10_001}, ["description"]),
        ({"description": ""}, ["description"]),
        ({"description": "   \n\t "}, ["description"]),
        ({"location_detail": "x" * 201}, ["location_detail"]),
        ({"external_ref": "x" * 101}, ["external_ref"]),
        ({"goods": [{"description": "x" * 201, "value": 1}]}, ["goods[0].description"]),
        ({"offenders": [{"description": "x" * 1001}]}, ["offenders[0].description"]),
    ],
    ids=[
        "description-10001",
        "description-empty",
        "description-blank",
        "location",
        "external-ref",
        "goods-description",
        "offender-description",
    ],
)
def test_text_too_long_or_empty(world: World, api: Api, extra: dict[str, Any], fields: list[str]) -> None:
    a = api("reporter")
    _refused(a, _post(a, smallest_body(world, **extra)), 422, fields)


def test_a_description_of_exactly_10000_characters_is_accepted(world: World, api: Api) -> None:
    response = api("reporter").post("/api/v1/incidents", smallest_body(world, description="x" * 10_000))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"description": "Took\x00gin"}, ["description"]),
        ({"location_detail": "Aisle\x003"}, ["location_detail"]),
        ({"external_ref": "NW\x00-1"}, ["external_ref"]),
        ({"goods": [{"description": "G\x00in", "value": 1}]}, ["goods[0].description"]),
        ({"offenders": [{"description": "Tall\x00man"}]}, ["offenders[0].description"]),
        (
            {"vehicles": [{"registration": "AB12CDE", "description": "Red\x00car"}]},
            ["vehicles[0].description"],
        ),
        ({"description": "A\x00", "location_detail": "B\x00"}, ["description", "location_detail"]),
    ],
    ids=["description", "location", "external-ref", "goods", "offender", "vehicle", "two-fields"],
)
def test_nul_characters_in_text(world: World, api: Api, extra: dict[str, Any], fields: list[str]) -> None:
    a = api("reporter")
    _refused(a, _post(a, smallest_body(world, **extra)), 422, fields)


@pytest.mark.parametrize("path", ["/api/v1/incidents", "/api/v1/incidents/batch"])
def test_oversized_bodies(world: World, api: Api, path: str) -> None:
    a = api("reporter")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps(smallest_body(world, description="x" * (limit + 1)))
    assert len(body) > limit
    _refused(a, lambda: a.post_raw(path, body, "application/json"), 413, ["body"])


@pytest.mark.parametrize(
    ("store", "why"),
    [
        ("missing", "no such store"),
        ("corner-brighton", "a partnership neighbour's store"),
        ("nw-hove", "another store of the same retailer"),
        ("oxshop-oxford", "a store the reporter cannot see"),
    ],
    ids=["unknown", "neighbour", "same-retailer-other-store", "invisible"],
)
def test_stores_the_caller_may_not_report_for(world: World, api: Api, store: str, why: str) -> None:
    a = api("reporter")
    store_id = world.stores[store].pk if store in world.stores else 999_999
    body = {**smallest_body(world), "store": store_id}
    problem = _refused(a, _post(a, body), 422, ["store"])
    # The same words whether the store exists or not: the answer does not reveal which stores exist.
    assert problem["errors"][0]["message"] == "Unknown store, or you may not report for it."


def test_an_inactive_store_is_refused(world: World, api: Api) -> None:
    store = world.stores["nw-brighton"]
    store.active = False
    store.save(update_fields=["active"])
    a = api("reporter")
    _refused(a, _post(a, smallest_body(world)), 422, ["store"])


@pytest.mark.parametrize(
    "registration",
    ["!!!", "AB12 CDE FGH", "ÄB12CDE", "12345678", "", "   ", "AB1-2C_DE"],
    ids=["punctuation", "too-long", "non-ascii", "digits-only", "empty", "blank", "underscore"],
)
def test_malformed_registrations(world: World, api: Api, registration: str) -> None:
    a = api("reporter")
    body = smallest_body(world, vehicles=[{"registration": "AB12CDE"}, {"registration": registration}])
    _refused(a, _post(a, body), 422, ["vehicles[1].registration"])


def test_unknown_or_invisible_persons_are_refused(world: World, api: Api) -> None:
    from shopwatch.subjects.services import person_create

    hidden = person_create(
        viewer=world.viewer("unconnected_partnership_manager"),
        owner_org=world.orgs["oxford-bcrp"],
        family_name="Hidden",
        distribution="partnership",
    )
    a = api("reporter")
    body = smallest_body(world, offenders=[{"person": hidden.pk}, {"person": 987_654}, {}])
    _refused(a, _post(a, body), 422, ["offenders[0].person", "offenders[1].person", "offenders[2]"])


def test_a_sharing_group_the_caller_is_not_in_is_refused(world: World, api: Api) -> None:
    a = api("reporter")
    body = smallest_body(world, distribution="group", sharing_group="nonexistent")
    _refused(a, _post(a, body), 422, ["sharing_group"])


def test_errors_from_schema_and_rules_do_not_hide_each_other_in_one_field(world: World, api: Api) -> None:
    """A body with several problems the rules find names each one, so the caller can fix all at once."""
    a = api("reporter")
    body = {
        **smallest_body(
            world, occurred_at="1980-01-01T00:00:00Z", description="x\x00", vehicles=[{"registration": "!!!"}]
        ),
        "store": 999_999,
    }
    _refused(a, _post(a, body), 422, ["description", "occurred_at", "store", "vehicles[0].registration"])


def test_a_refused_request_with_an_idempotency_key_can_be_corrected_and_retried(
    world: World, api: Api
) -> None:
    a = api("reporter")
    headers = {"Idempotency-Key": "nw-42"}
    _refused(a, _post(a, smallest_body(world, description=""), headers), 422, ["description"])
    fixed = a.post("/api/v1/incidents", smallest_body(world), headers)
    assert fixed.status_code == 201


def test_bad_idempotency_keys_are_refused(world: World, api: Api) -> None:
    a = api("reporter")
    for key in ["k" * 256, "tab\there"]:
        response = a.post("/api/v1/incidents", smallest_body(world), {"Idempotency-Key": key})
        assert response.status_code in (400, 409, 422), response.content
        assert response["Content-Type"] == PROBLEM
        assert field_names(response) == ["Idempotency-Key"]


@pytest.mark.parametrize(
    ("path", "params", "fields"),
    [
        ("/api/v1/incidents", {"limit": "many"}, ["limit"]),
        ("/api/v1/incidents", {"store": "nw"}, ["store"]),
        ("/api/v1/incidents", {"updated_since": "2024-99-01"}, ["updated_since"]),
        ("/api/v1/persons", {"limit": 0}, ["limit"]),
        ("/api/v1/persons", {"limit": 10_000}, ["limit"]),
        ("/api/v1/persons", {"cursor": "%%%"}, ["cursor"]),
    ],
    ids=[
        "incident-limit",
        "incident-store",
        "incident-updated",
        "person-limit-0",
        "person-limit-huge",
        "person-cursor",
    ],
)
def test_bad_query_parameters(
    world: World, api: Api, path: str, params: dict[str, Any], fields: list[str]
) -> None:
    a = api("security")
    response = a.get(path, params)
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM
    assert field_names(response) == fields


@pytest.mark.parametrize("path", ["/api/v1/incidents/abc", "/api/v1/persons/1e3", "/api/v1/incidents/-1"])
def test_bad_ids_are_never_a_500(world: World, api: Api, path: str) -> None:
    response = api("security").get(path)
    assert response.status_code in (404, 422)
    assert response["Content-Type"] == PROBLEM

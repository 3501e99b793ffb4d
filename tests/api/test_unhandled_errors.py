"""Inputs that used to end in a 500 HTML page answer a 4xx problem document naming what was wrong."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from shopwatch.api import api as ninja_api
from shopwatch.core.api import decode_cursor
from shopwatch.core.ids import MAX_ID, parse_id
from tests.api.support import PROBLEM, ApiClient
from tests.world import World

Api = Callable[[str], ApiClient]
HUGE = "99999999999999999999"  # above 2^63


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _problem(response: Any, status: int, fields: list[str] | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if fields is not None:
        assert sorted(e["field"] for e in body["errors"]) == sorted(fields)
    return body


def test_the_reported_inputs(world: World, api: Api) -> None:
    a = api("police_sussex")
    _problem(a.get("/api/v1/stores", {"cursor": "WyJ4IiwxXQ"}), 400, ["cursor"])
    _problem(a.get("/api/v1/incidents", {"store": HUGE}), 422, ["store"])
    _problem(a.get(f"/api/v1/evidence/{HUGE}/content"), 422, ["evidence_id"])


def _paths_with_ids() -> list[tuple[str, str]]:
    doc = ninja_api.get_openapi_schema()
    found = []
    for path, operations in doc["paths"].items():
        if "_id}" not in path or "/uploads/" in path:
            continue
        for method in operations:
            if method in ("get", "post", "put", "delete"):
                found.append((method, path))
    return found


@pytest.mark.parametrize("value", [HUGE, str(2**63), "-1", "0"])
def test_every_id_in_a_path_outside_the_range_of_ids(world: World, api: Api, value: str) -> None:
    a = api("police_sussex")
    for method, path in _paths_with_ids():
        url = path.replace("{", "").replace("}", "")
        for name in [p[1:-1] for p in path.split("/") if p.startswith("{")]:
            url = url.replace(name, value)
        call = getattr(a.client, method)
        response = call(url, headers=a._headers(None)) if method in ("get", "delete") else a.post(url, {})
        assert 400 <= response.status_code < 500, f"{method} {url}: {response.status_code}"
        assert response["Content-Type"] == PROBLEM, f"{method} {url}"


@pytest.mark.parametrize(
    "cursor",
    [
        "WyJ4IiwxXQ",  # ["x", 1]
        "!!!!",  # not base64
        "gA",  # not UTF-8
        _cursor({"a": 1}),  # not a list
        _cursor([]),
        _cursor(["2026-01-01T00:00:00+00:00"]),
        _cursor([HUGE]),
        _cursor([int(HUGE)]),
        _cursor([1.5]),
        _cursor(["not a time", 1]),
        _cursor(["2026-13-45T00:00:00+00:00", 1]),
        _cursor([None, None, None, None]),
        _cursor([[[[[]]]]]),
        "W" * 600,  # longer than any cursor the API writes
        base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(),
    ],
)
def test_a_bad_cursor_is_a_400_on_every_list(world: World, api: Api, cursor: str) -> None:
    a = api("police_sussex")
    for path in (
        "/api/v1/stores",
        "/api/v1/incidents",
        "/api/v1/persons",
        "/api/v1/police/queue",
        "/api/v1/police/series",
        "/api/v1/police/case-files",
        f"/api/v1/incidents/{world.report('reporter', 'nw-brighton').pk}/evidence",
    ):
        response = a.get(path, {"cursor": cursor})
        assert response.status_code in (400, 422), (
            f"{path}: {response.status_code} {response.content[:200]!r}"
        )
        assert response["Content-Type"] == PROBLEM, path


def test_the_decoder_checks_each_value_of_a_cursor() -> None:
    assert decode_cursor(_cursor(["2026-01-01T10:00:00+00:00", 7]), "datetime", "int") == [
        "2026-01-01T10:00:00+00:00",
        7,
    ]
    for bad in (["2026-01-01T10:00:00", 7], ["2026-01-01T10:00:00+00:00", -1], ["x", MAX_ID + 1]):
        with pytest.raises(Exception, match="Bad cursor"):
            decode_cursor(_cursor(bad), "datetime", "int")


@pytest.mark.parametrize("value", ["²", "١٢", HUGE, "0", "-3", " ", "12a", True])
def test_parse_id_refuses_what_is_not_an_id(value: object) -> None:
    assert parse_id(value) is None


def test_parse_id_reads_ids() -> None:
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(7) == 7


def test_an_id_too_large_in_a_body_is_refused(world: World, api: Api) -> None:
    a = api("reporter")
    body = {"store": int(HUGE), "type": "theft", "occurred_at": "2026-01-01T10:00:00Z", "description": "x"}
    _problem(a.post("/api/v1/incidents", body), 422, ["store"])
    _problem(a.post("/api/v1/alerts", {"store": int(HUGE), "message": "Watch out"}), 422, ["store"])


def test_a_link_to_an_incident_named_by_odd_digits_is_not_found(world: World, api: Api) -> None:
    from tests.evidence.test_evidence_api import photos

    _, files = photos(world, 1)
    a = api("reporter")
    for reference in ("²", "١٢", HUGE):
        response = a.post(f"/api/v1/evidence/{files[0].pk}/links", {"incident": reference, "reason": "Same"})
        assert 400 <= response.status_code < 500, (reference, response.content)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_tus_headers_with_odd_digits_are_refused(world: World, api: Api) -> None:
    a = api("reporter")
    incident = world.report("reporter", "nw-brighton")
    headers = {**a._headers(None), "Tus-Resumable": "1.0.0"}

    def create(length: str, **meta: str) -> Any:
        metadata = ",".join(f"{k} {_b64(v)}" for k, v in {"filename": "a.mp4", **meta}.items())
        return a.client.post(
            "/api/v1/uploads", headers={**headers, "Upload-Length": length, "Upload-Metadata": metadata}
        )

    _problem(create("²", incident=str(incident.pk)), 422, ["Upload-Length"])
    _problem(create("10", incident="²"), 422, ["incident"])
    _problem(create("10", incident=HUGE), 422, ["incident"])
    # A clock reading in other digits is no reading: the upload is still made.
    assert create("10", incident=str(incident.pk), device_time="¹²³").status_code == 201


def test_the_alert_stream_ignores_a_last_event_id_that_is_no_id(world: World) -> None:
    from shopwatch.alerts.services import alert_raise
    from shopwatch.alerts.stream import _missed

    alert_raise(viewer=world.viewer("reporter"), store_id=world.stores["nw-brighton"].pk, message="Watch")
    viewer = world.viewer("reporter")
    for last in (HUGE, "²", "-1", "0x1"):
        assert _missed(viewer, last) == []  # used to raise (int() of "²", an id too large for the database)


def test_an_unexpected_error_is_a_logged_500_problem_document(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import shopwatch.core.routes as routes

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(routes, "store_list", broken)
    a = api("reporter")
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/stores", headers=a._headers(None))
    body = _problem(response, 500)
    assert body["title"] == "Internal server error"
    assert "database" not in json.dumps(body)
    assert "Unhandled error in GET /api/v1/stores" in caplog.text


def test_an_unexpected_error_beside_ninja_is_a_problem_document_on_the_api(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shopwatch.uploads import tus

    def broken(request: Any) -> Any:
        raise RuntimeError("storage went away")

    monkeypatch.setattr(tus, "_uploader", broken)
    a = api("reporter")
    headers = {**a._headers(None), "Tus-Resumable": "1.0.0", "Upload-Length": "10"}
    response = Client(raise_request_exception=False).post("/api/v1/uploads", headers=headers)
    body = _problem(response, 500)
    assert "storage" not in json.dumps(body)


def test_text_with_a_nul_character_that_postgresql_refuses_is_a_422(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import DataError

    from shopwatch.evidence import retention

    def refused(**kwargs: Any) -> Any:
        # What psycopg raises for such a parameter, before anything reaches the server.
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr(retention, "retention_preview", refused)
    a = api("partnership_manager")
    response = a.get("/api/v1/partnerships/brighton%00bcrp/evidence-retention/due")
    body = _problem(response, 422, ["slug"])
    assert body["errors"][0]["message"] == "Must not contain NUL characters."

"""The OpenAPI document is generated, committed at docs/openapi.json, and must not change by accident."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from shopwatch.api import api
from shopwatch.core.management.commands.openapi import differences

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/ProblemOut"}
COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
REGENERATE = "uv run shopwatch openapi > docs/openapi.json"
# The One Touch Reporting and persons operations, whose problem answers are part of the contract.
CONTRACT = {
    ("post", "/api/v1/incidents"),
    ("post", "/api/v1/incidents/batch"),
    ("get", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{incident_id}"),
    ("get", "/api/v1/persons"),
    ("get", "/api/v1/persons/{person_id}"),
}


def _current() -> dict[str, Any]:
    current: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema()))
    return current


def test_committed_document_matches_the_api() -> None:
    assert COMMITTED.exists(), f"docs/openapi.json is missing; write it with `{REGENERATE}`."
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    changes = differences(committed, _current())
    if changes:
        shown = "\n  ".join(changes[:30])
        pytest.fail(
            f"The API no longer matches docs/openapi.json ({len(changes)} difference(s), committed → now):\n"
            f"  {shown}\n"
            f"If the change is intended, regenerate the file and commit it with your change: {REGENERATE}",
            pytrace=False,
        )


def test_the_served_document_is_the_generated_one(db: None) -> None:
    served = Client().get("/api/v1/openapi.json").json()
    assert served == _current()
    assert served["openapi"].startswith("3.1")


def test_every_operation_is_described_authenticated_and_documents_its_problems() -> None:
    doc = _current()
    assert {(m, p) for p, ops in doc["paths"].items() for m in ops} >= CONTRACT
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op.get("tags"), f"{where} has no tag"
            assert op.get("summary") or op.get("description"), f"{where} is not described"
            if (method, path) in CONTRACT:
                assert op.get("security"), f"{where} does not require authentication"
                problems = {code for code in op["responses"] if code.startswith("4")}
                assert {"401", "404", "422", "429"} <= problems, where
            for code, answer in op["responses"].items():
                if code.startswith("4"):
                    assert answer["content"] == {PROBLEM: {"schema": PROBLEM_REF}}, f"{where} {code}"


def test_the_persons_operations_are_tagged_persons() -> None:
    doc = _current()
    for path in ("/api/v1/persons", "/api/v1/persons/{person_id}"):
        assert doc["paths"][path]["get"]["tags"] == ["persons"]


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = ("get", "put", "post", "delete", "patch", "head", "options")
    return [(m, p, op) for p, ops in doc["paths"].items() for m, op in ops.items() if m in methods]


def test_every_operation_declares_the_problems_the_api_answers_for_it() -> None:
    for method, path, op in _operations(_current()):
        where = f"{method.upper()} {path}"
        codes = {int(c) for c in op["responses"]}
        places = {p["in"] for p in op.get("parameters", [])}
        if op.get("security") and path != "/api/v1/uploads/{upload_id}" and method != "options":
            assert {401, 403} <= codes, where
        if any("ApiKeyAuth" in s for s in op.get("security", [])) and not path.endswith("/stream"):
            assert 429 in codes, where  # the stream is one long request, not rate-limited
        if "requestBody" in op and "json" in str(op["requestBody"]["content"]):
            assert {400, 404, 413, 415, 422} <= codes, where
        if "path" in places:
            assert 404 in codes, where
        if "query" in places:
            assert {400, 422} <= codes, where


def test_the_upload_endpoint_and_the_alert_stream_are_documented() -> None:
    doc = _current()
    assert set(doc["paths"]["/api/v1/uploads"]) == {"options", "post"}
    assert {"head", "patch", "delete"} <= set(doc["paths"]["/api/v1/uploads/{upload_id}"])
    patch = doc["paths"]["/api/v1/uploads/{upload_id}"]["patch"]
    assert "application/offset+octet-stream" in patch["requestBody"]["content"]
    assert {"409", "410", "412", "415"} <= set(patch["responses"])
    stream = doc["paths"]["/api/v1/alerts/stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    assert stream["security"]


def test_ids_cursors_and_limits_declare_the_bounds_the_api_enforces() -> None:
    for method, path, op in _operations(_current()):
        where = f"{method.upper()} {path}"
        for param in op.get("parameters", []):
            schema = param["schema"]
            options = schema.get("anyOf", [schema])
            if param["in"] == "path" and param["name"].endswith("_id") and "uploads" not in path:
                assert schema.get("type") == "integer", where
                assert (schema["minimum"], schema["maximum"]) == (1, 2**63 - 1), where
            if param["name"] == "cursor":
                assert any(o.get("maxLength") == 512 for o in options), where
            if param["name"] == "limit":
                assert schema.get("minimum") == 1, where
                assert schema.get("maximum"), where

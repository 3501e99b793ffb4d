"""The OpenAPI document is generated, committed at docs/openapi.json, and must not change by accident."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from shopwatch.api import api
from shopwatch.core.management.commands.openapi import differences

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
    return json.loads(json.dumps(api.get_openapi_schema()))


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
                for code in problems:
                    content = op["responses"][code]["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/ProblemOut"}, where


def test_the_persons_operations_are_tagged_persons() -> None:
    doc = _current()
    for path in ("/api/v1/persons", "/api/v1/persons/{person_id}"):
        assert doc["paths"][path]["get"]["tags"] == ["persons"]

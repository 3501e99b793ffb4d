"""A schema-driven fuzz of the whole API (schemathesis), in-process, for four roles.

Every operation of the committed OpenAPI document is called with generated requests, valid by the schema
(with the path ids of records that exist in a small world, so the calls reach the code behind validation)
and invalid by it, as a store reporter, a retail security manager, a police investigator and a partnership
manager, each with an API key. Every answer must be no 5xx, a status code the document declares, the content
type it declares and a body that matches its schema. Deterministic (derandomised, no example database), no
network. Run a longer fuzz with ``SHOPWATCH_FUZZ_EXAMPLES=200`` (examples per operation and mode) or with the
schemathesis command against a running server (see docs/api-fuzzing.md).
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shopwatch.alerts.services import alert_raise
from shopwatch.api import api
from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from shopwatch.evidence.services import evidence_add
from shopwatch.subjects.services import person_create
from tests.evidence.images import jpeg_bytes
from tests.world import World

pytestmark = pytest.mark.django_db

ROLES = ["reporter", "security", "police_sussex", "partnership_manager"]
EXAMPLES = int(os.environ.get("SHOPWATCH_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The alert stream stays open by design (a heartbeat every 15 s); its refusals are tested in tests/alerts.
SKIPPED = {("GET", "/api/v1/alerts/stream")}

# tus PATCH bodies are raw bytes, as application/octet-stream is sent.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


def _schema() -> Any:
    doc = api.get_openapi_schema()
    return schemathesis.openapi.from_dict(doc)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Django closes a request's database connection when the request ends; here that connection holds the
    test's transaction (and the world), so requests run without those receivers, as with Django's test client.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _known_ids(world: World) -> dict[str, Any]:
    """Records that exist, so valid requests reach the code behind validation."""
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    world.report("same_partnership_reporter", "corner-brighton")
    evidence = evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes()),
        filename="till-camera.jpg",
    )
    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Danny",
        family_name="Fletcher",
    )
    alert = alert_raise(
        viewer=world.viewer("reporter"),
        store_id=world.stores["nw-brighton"].pk,
        message="Two men filling bags",
        kind="manual",
    )
    return {
        "incident_id": incident.pk,
        "evidence_id": evidence.pk,
        "person_id": person.pk,
        "alert_id": alert.pk,
        "slug": "brighton-bcrp",
    }


def _key(world: World, name: str) -> str:
    user = User.objects.get(pk=world.users[name].pk)
    return apikey_create(viewer=world.viewer(name), user=user, name="fuzz").secret


@pytest.mark.parametrize("role", ROLES)
def test_the_api_survives_a_schema_driven_fuzz(world: World, role: str, keep_connection: None) -> None:
    known = _known_ids(world)
    headers = {"Authorization": f"Bearer {_key(world, role)}"}
    schema = _schema()
    schema.app = WSGIHandler()
    failures: list[str] = []
    counts = {"operations": 0, "requests": 0}
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        counts["operations"] += 1
        names = {p.name for p in operation.path_parameters}
        fixed = {n: v for n, v in known.items() if n in names}
        for mode, path_parameters in (
            (GenerationMode.POSITIVE, fixed if fixed.keys() == names else None),
            (GenerationMode.NEGATIVE, None),
        ):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False,
            )
            @given(case=strategy)
            def run(case: Any) -> None:
                counts["requests"] += 1
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing in the request can be made invalid (no parameters, no body)
            except Exception as exc:
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}"[:3000])
    elapsed = time.monotonic() - started
    print(f"fuzz {role}: {counts['operations']} operations, {counts['requests']} requests, {elapsed:.1f} s")
    assert not failures, "\n\n".join(failures)

"""A browser session reaches the API only when it would reach the web pages.

Police, analysts, partnership managers and admins give a code from their authenticator app after their
password. Until they have, the pages send them to the code page, and every kind of API endpoint refuses
the session with a problem document: reads, downloads, writes, the alert stream and uploads. API keys are
unchanged, and roles that need no code use the API with their session as before.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from shopwatch.core.models import Distribution, User
from shopwatch.evidence.services import evidence_add
from shopwatch.reporting.models import Incident
from shopwatch.subjects.services import person_create
from tests.api.support import PROBLEM, api_client_for
from tests.core.support import sign_in_verified
from tests.evidence.images import jpeg_bytes
from tests.uploads.support import encode_metadata
from tests.world import World


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    cache.clear()


@dataclass
class Records:
    incident: Incident
    evidence_id: int
    person_id: int


@pytest.fixture
def records(world: World) -> Records:
    incident = world.report(
        "reporter", "nw-brighton", report_to_police=True, distribution=Distribution.POLICE
    )
    evidence = evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes((200, 10, 10))),
        filename="till.jpg",
    )
    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Sam",
        family_name="Example",
        distribution=Distribution.POLICE,
    )
    return Records(incident=incident, evidence_id=evidence.pk, person_id=person.pk)


def _password_only(world: World, name: str) -> Client:
    """Signed in with the password; no code given yet."""
    client = Client()
    client.force_login(User.objects.get(pk=world.users[name].pk))
    return client


def _verified(world: World, name: str) -> Client:
    client = Client()
    sign_in_verified(client, User.objects.get(pk=world.users[name].pk))
    return client


def _police_requests(r: Records, store_id: int) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    """One endpoint of each sensitive kind an investigator may use."""
    return {
        "read a list": ("get", "/api/v1/incidents", None),
        "read an incident": ("get", f"/api/v1/incidents/{r.incident.pk}", None),
        "read a person": ("get", f"/api/v1/persons/{r.person_id}", None),
        "download a file": ("get", f"/api/v1/evidence/{r.evidence_id}/content", None),
        "download a bundle": ("get", f"/api/v1/incidents/{r.incident.pk}/evidence/bundle", None),
        "create a case file": (
            "post",
            "/api/v1/police/case-files",
            {"kind": "incident", "title": "Razor blades", "incident": r.incident.pk},
        ),
        "raise an alert": ("post", "/api/v1/alerts", {"store": store_id, "message": "Man with a knife"}),
    }


def _call(client: Client, method: str, path: str, body: dict[str, Any] | None) -> Any:
    if method == "post":
        return client.post(path, body, content_type="application/json")
    return client.get(path)


def _refused(response: Any) -> None:
    assert response.status_code in (401, 403), (response.status_code, response.content[:300])
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["title"] == "Two-factor sign-in required"
    assert body["errors"] == [
        {"field": "session", "message": "Confirm the code from your authenticator app first."}
    ]


def test_a_password_only_police_session_is_refused_by_every_kind_of_endpoint(
    world: World, records: Records
) -> None:
    client = _password_only(world, "police_sussex")
    # The pages send the officer to the code page...
    page = client.get("/incidents/")
    assert page.status_code == 302
    assert page["Location"].startswith("/account/two-factor/")
    # ...and the API refuses the same session everywhere.
    for what, (method, path, body) in _police_requests(records, world.stores["nw-brighton"].pk).items():
        response = _call(client, method, path, body)
        assert response.status_code in (401, 403), (what, response.status_code)
        _refused(response)
    _refused(client.get("/api/v1/alerts/stream"))


def test_the_same_police_requests_are_allowed_once_the_code_is_given(world: World, records: Records) -> None:
    client = _verified(world, "police_sussex")
    expected = {"create a case file": 201, "raise an alert": 201}
    for what, (method, path, body) in _police_requests(records, world.stores["nw-brighton"].pk).items():
        response = _call(client, method, path, body)
        assert response.status_code == expected.get(what, 200), (what, response.content[:300])
        if response.streaming:
            b"".join(response.streaming_content)
    # The stream opens (it is not read here: it waits for alerts).
    stream = client.get("/api/v1/alerts/stream")
    assert stream.status_code == 200
    assert stream["Content-Type"].startswith("text/event-stream")


@pytest.mark.parametrize("name", ["partnership_manager", "analyst_sussex", "admin"])
def test_other_two_factor_roles_are_refused_until_verified(world: World, records: Records, name: str) -> None:
    _refused(_password_only(world, name).get(f"/api/v1/persons/{records.person_id}"))
    assert _verified(world, name).get(f"/api/v1/persons/{records.person_id}").status_code == 200


def _tus_create(client: Client, incident: Incident) -> Any:
    return client.post(
        "/api/v1/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "100",
            "Upload-Metadata": encode_metadata({"incident": str(incident.pk), "filename": "cctv.mp4"}),
        },
    )


def test_uploads_follow_the_same_rule(world: World, records: Records) -> None:
    # A partnership manager may add evidence at the partnership's stores once verified.
    _refused(_tus_create(_password_only(world, "partnership_manager"), records.incident))
    assert _tus_create(_verified(world, "partnership_manager"), records.incident).status_code == 201


def test_roles_without_two_factor_and_api_keys_are_unchanged(world: World, records: Records) -> None:
    # A store reporter is never asked for a code: the session works on the API as on the pages.
    reporter = _password_only(world, "reporter")
    assert reporter.get(f"/api/v1/incidents/{records.incident.pk}").status_code == 200
    content = reporter.get(f"/api/v1/evidence/{records.evidence_id}/content")
    assert content.status_code == 200
    b"".join(content.streaming_content)  # type: ignore[attr-defined]
    # An investigator's API key (made from a verified session) needs no code on each request.
    key = api_client_for(world, "police_sussex")
    assert key.get(f"/api/v1/persons/{records.person_id}").status_code == 200
    bundle = key.get(f"/api/v1/incidents/{records.incident.pk}/evidence/bundle")
    assert bundle.status_code == 200
    b"".join(bundle.streaming_content)
    stream = key.client.get("/api/v1/alerts/stream", headers={"Authorization": f"Bearer {key.secret}"})
    assert stream.status_code == 200

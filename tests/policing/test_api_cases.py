"""The police API for link suggestions, series and case files: scoped to the caller's force, specific
errors, idempotent creation."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shopwatch.core.models import AuditEvent
from shopwatch.policing.models import CaseFile, LinkSuggestion, Series, SuggestionState
from shopwatch.policing.services import linking
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.api.support import PROBLEM, ApiClient, field_names
from tests.world import World


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _person(world: World) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Danny",
        family_name="Fletcher",
        distribution="police",
    )


def _report(world: World, store: str = "nw-brighton", days_ago: float = 1, **kw: Any) -> Incident:
    reporter = {
        "nw-brighton": "reporter",
        "kiosk-crawley": "connected_reporter",
        "oxshop-oxford": "unconnected_reporter",
    }[store]
    return world.report(
        reporter, store, report_to_police=True, occurred_at=timezone.now() - dt.timedelta(days=days_ago), **kw
    )


def _delete(client: ApiClient, path: str) -> Any:
    return client.client.delete(path, headers=client._headers(None))


def test_link_suggestions_listed_and_decided(world: World, api: Callable[[str], ApiClient]) -> None:
    person = _person(world)
    a = _report(world, offenders=[OffenderInput(person_id=person.pk)])
    b = _report(world, "kiosk-crawley", 2, offenders=[OffenderInput(person_id=person.pk)])
    police = api("police_sussex")
    r = police.get(f"/api/v1/incidents/{a.pk}/link-suggestions")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["next"] is None
    by_basis = {s["basis"]: s for s in body["items"]}
    assert set(by_basis) == {"person"}
    person_link = by_basis["person"]
    assert {i["reference"] for i in person_link["incidents"]} == {a.reference, b.reference}
    assert person_link["state"] == "pending"
    assert person_link["evidence"] == {"person": person.pk}

    bad = police.get(f"/api/v1/incidents/{a.pk}/link-suggestions", {"window_days": 0})
    assert bad.status_code == 422
    assert bad["Content-Type"] == PROBLEM
    assert field_names(bad) == ["window_days"]
    # Another force, store staff: the same 404 as an incident that does not exist.
    assert api("police_tv").get(f"/api/v1/incidents/{a.pk}/link-suggestions").status_code == 404
    assert api("reporter").get(f"/api/v1/incidents/{a.pk}/link-suggestions").status_code == 404

    url = f"/api/v1/police/link-suggestions/{person_link['id']}/decision"
    assert api("police_tv").post(url, {"decision": "accept"}).status_code == 404
    assert api("reporter").post(url, {"decision": "accept"}).status_code == 404
    bad = police.post(url, {"decision": "maybe", "extra": 1})
    assert bad.status_code == 422
    assert set(field_names(bad)) == {"decision", "extra"}
    assert LinkSuggestion.objects.get(pk=person_link["id"]).state == SuggestionState.PENDING

    key = {"Idempotency-Key": "decide-1"}
    first = police.post(url, {"decision": "accept"}, headers=key)
    assert first.status_code == 200, first.content
    assert first.json()["state"] == "accepted"
    series = Series.objects.get()
    assert first.json()["series"] == series.pk
    again = police.post(url, {"decision": "accept"}, headers=key)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert police.post(url, {"decision": "reject"}, headers=key).status_code == 409
    # Without a key, deciding again is a conflict that names the suggestion.
    conflict = police.post(url, {"decision": "reject"})
    assert conflict.status_code == 409
    assert field_names(conflict) == ["suggestion"]
    assert Series.objects.count() == 1


def test_series_created_shown_changed_through_the_api(world: World, api: Callable[[str], ApiClient]) -> None:
    a, b, c = _report(world), _report(world, "kiosk-crawley", 2), _report(world, days_ago=3)
    oxford = _report(world, "oxshop-oxford")
    police = api("police_sussex")
    body = {
        "name": "Meat thefts",
        "basis": "method",
        "method": "Steaks under a coat",
        "reason": "Same coat on CCTV",
        "incidents": [a.pk, b.pk],
    }
    # Bad input: each bad field named; nothing made.
    bad = police.post("/api/v1/police/series", {"name": 3, "basis": "colour", "incidents": [a.pk], "x": 1})
    assert bad.status_code == 422
    assert set(field_names(bad)) == {"name", "basis", "reason", "incidents", "x"}
    bad = police.post("/api/v1/police/series", {**body, "name": " ", "method": ""})
    assert bad.status_code == 422
    assert set(field_names(bad)) == {"name", "method"}
    # Ids are bounded at the edge (StrictId): zero, negative or past 2^63-1 answer 422 naming the item.
    for wrong in (0, -1, 2**63):
        bad = police.post("/api/v1/police/series", {**body, "incidents": [a.pk, wrong]})
        assert bad.status_code == 422, (wrong, bad.content)
        assert field_names(bad) == ["incidents[1]"]
    hidden = police.post("/api/v1/police/series", {**body, "incidents": [a.pk, oxford.pk]})
    assert hidden.status_code == 422
    assert field_names(hidden) == ["incidents"]
    assert str(oxford.pk) in hidden.json()["errors"][0]["message"]
    assert api("reporter").post("/api/v1/police/series", body).status_code == 403
    assert api("analyst_sussex").post("/api/v1/police/series", body).status_code == 403
    assert not Series.objects.exists()

    key = {"Idempotency-Key": "series-1"}
    made = police.post("/api/v1/police/series", body, headers=key)
    assert made.status_code == 201, made.content
    series = made.json()
    assert [m["incident"]["id"] for m in series["incidents"]] == [b.pk, a.pk]  # in the order they happened
    assert {m["reason"] for m in series["incidents"]} == {"Same coat on CCTV"}
    replay = police.post("/api/v1/police/series", body, headers=key)
    assert (replay.status_code, replay.json()) == (201, series)
    assert replay["Idempotent-Replayed"] == "true"
    reused = police.post("/api/v1/police/series", {**body, "name": "Other"}, headers=key)
    assert reused.status_code == 409
    assert field_names(reused) == ["Idempotency-Key"]
    assert Series.objects.count() == 1
    sid = series["id"]

    listed = police.get("/api/v1/police/series").json()
    assert [(s["id"], s["incident_count"]) for s in listed["items"]] == [(sid, 2)]
    assert api("police_tv").get("/api/v1/police/series").json()["items"] == []
    assert api("police_tv").get(f"/api/v1/police/series/{sid}").status_code == 404
    assert police.get(f"/api/v1/police/series/{sid}").json() == series

    add = f"/api/v1/police/series/{sid}/incidents"
    assert police.post(add, {"incidents": [c.pk]}).status_code == 422  # the reason is required
    huge = police.post(add, {"incidents": [2**63], "reason": "r"})
    assert (huge.status_code, field_names(huge)) == (422, ["incidents[0]"])
    assert api("police_tv").post(add, {"incidents": [oxford.pk], "reason": "r"}).status_code == 404
    refused = police.post(add, {"incidents": [oxford.pk], "reason": "r"})
    assert refused.status_code == 422
    assert field_names(refused) == ["incidents"]
    added = police.post(add, {"incidents": [c.pk, a.pk], "reason": "Same time of day"})
    assert added.status_code == 200
    assert [m["incident"]["id"] for m in added.json()["incidents"]] == [c.pk, b.pk, a.pk]
    assert police.post(add, {"incidents": [c.pk], "reason": "again"}).json() == added.json()

    gone = _delete(police, f"{add}/{c.pk}")
    assert gone.status_code == 200
    assert [m["incident"]["id"] for m in gone.json()["incidents"]] == [b.pk, a.pk]
    assert _delete(police, f"{add}/{c.pk}").json() == gone.json()  # already out: nothing changes
    assert _delete(api("police_tv"), f"{add}/{a.pk}").status_code == 404
    assert _delete(police, f"{add}/{oxford.pk}").status_code == 404
    assert set(Series.objects.get().members.values_list("incident_id", flat=True)) == {a.pk, b.pk}


def test_case_files_through_the_api(world: World, api: Callable[[str], ApiClient]) -> None:
    person = _person(world)
    a = _report(world, offenders=[OffenderInput(person_id=person.pk)])
    b = _report(world, days_ago=2, offenders=[OffenderInput(person_id=person.pk)])
    oxford = _report(world, "oxshop-oxford")
    police = api("police_sussex")
    series = linking.series_create(
        viewer=world.viewer("police_sussex"), name="S", basis="person", incidents=[a, b], reason="r"
    )

    bad = police.post("/api/v1/police/case-files", {"kind": "everything", "title": ""})
    assert bad.status_code == 422
    assert set(field_names(bad)) == {"kind"}
    bad = police.post("/api/v1/police/case-files", {"kind": "incident", "title": " ", "incident": oxford.pk})
    assert bad.status_code == 422
    assert set(field_names(bad)) == {"title", "incident"}
    stray = police.post("/api/v1/police/case-files", {"kind": "incident", "title": "T", "series": series.pk})
    assert stray.status_code == 422
    assert field_names(stray) == ["series"]
    tv = api("police_tv").post(
        "/api/v1/police/case-files", {"kind": "series", "title": "T", "series": series.pk}
    )
    assert tv.status_code == 422
    assert field_names(tv) == ["series"]
    assert (
        api("reporter")
        .post("/api/v1/police/case-files", {"kind": "incident", "title": "T", "incident": a.pk})
        .status_code
        == 403
    )
    assert not CaseFile.objects.exists()

    body = {
        "kind": "series",
        "title": "Danny Fletcher's thefts",
        "series": series.pk,
        "summary": "Two thefts.",
    }
    key = {"Idempotency-Key": "case-1"}
    made = police.post("/api/v1/police/case-files", body, headers=key)
    assert made.status_code == 201, made.content
    case = made.json()
    assert [i["id"] for i in case["incidents"]] == [b.pk, a.pk]
    assert (case["kind"], case["series"], case["summary"]) == ("series", series.pk, "Two thefts.")
    assert police.post("/api/v1/police/case-files", body, headers=key).json() == case
    assert CaseFile.objects.count() == 1

    offender = police.post(
        "/api/v1/police/case-files", {"kind": "offender", "title": "CBO", "person": person.pk}
    )
    assert offender.status_code == 201, offender.content
    assert {i["id"] for i in offender.json()["incidents"]} == {a.pk, b.pk}

    listed = police.get("/api/v1/police/case-files", {"limit": 1})
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [offender.json()["id"]]
    assert [c["id"] for page in police.follow("/api/v1/police/case-files", {"limit": 1}) for c in page] == [
        offender.json()["id"],
        case["id"],
    ]
    assert police.get("/api/v1/police/case-files", {"cursor": "nonsense"}).status_code == 400
    assert api("police_tv").get("/api/v1/police/case-files").json()["items"] == []
    assert police.get(f"/api/v1/police/case-files/{case['id']}").json() == case
    assert api("police_tv").get(f"/api/v1/police/case-files/{case['id']}").status_code == 404

    export = police.get(f"/api/v1/police/case-files/{case['id']}/export")
    assert export.status_code == 200
    assert export["Content-Type"] == "application/zip"
    assert case["export"].endswith(f"/api/v1/police/case-files/{case['id']}/export")
    with zipfile.ZipFile(io.BytesIO(export.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["incidents"] == [b.reference, a.reference]
    assert AuditEvent.objects.filter(
        object_type="case_file", action="export", object_id=str(case["id"])
    ).exists()
    assert api("police_tv").get(f"/api/v1/police/case-files/{case['id']}/export").status_code == 404
    assert api("analyst_sussex").get(f"/api/v1/police/case-files/{case['id']}/export").status_code == 403
    assert api("reporter").get(f"/api/v1/police/case-files/{case['id']}/export").status_code == 404

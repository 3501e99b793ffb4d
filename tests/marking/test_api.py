"""The marking API's writes and signage, and the navigator engagement answer for police, through API keys."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shopwatch.core.models import Distribution
from shopwatch.navigator import services as navigator
from shopwatch.subjects.models import Person
from tests.api.support import PROBLEM, api_client_for
from tests.world import World


def test_issue_a_kit_log_its_use_and_find_it(world: World) -> None:
    manager = api_client_for(world, "manager")
    r = manager.post(
        "/api/v1/marking/kits",
        {
            "store": world.stores["nw-brighton"].pk,
            "product": "selectadna",
            "kind": "spray",
            "batch": "B9",
            "code": "SDNA-000100",
            "last_code": "SDNA-000119",
        },
    )
    assert r.status_code == 201, r.content
    kit = r.json()
    incident = world.report("reporter", "nw-brighton")
    r = manager.post(
        f"/api/v1/marking/kits/{kit['id']}/deployments",
        {
            "incident": incident.pk,
            "deployed_by": "Security officer",
            "deployed_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat(),
            "target": "person",
        },
    )
    assert r.status_code == 201, r.content
    police = api_client_for(world, "police_sussex")
    found = police.get("/api/v1/marking/lookup", {"code": "SDNA-000111"}).json()
    assert found["kit"]["code_label"] == "SDNA-000100 to SDNA-000119"
    assert found["other_deployments"] + len(found["deployments"]) == 1
    # Field errors name each field; a duplicate code is a conflict.
    bad = manager.post(
        "/api/v1/marking/kits",
        {"store": world.stores["nw-brighton"].pk, "product": "x", "kind": "spray", "batch": "", "code": "A1"},
    )
    assert bad.status_code == 422
    assert bad["Content-Type"] == PROBLEM
    assert {e["field"] for e in bad.json()["errors"]} == {"product", "batch"}
    again = manager.post(
        "/api/v1/marking/kits",
        {
            "store": world.stores["nw-brighton"].pk,
            "product": "selectadna",
            "kind": "spray",
            "batch": "B",
            "code": "SDNA-000105",
        },
    )
    assert again.status_code == 409
    stranger = api_client_for(world, "unconnected_reporter")
    assert stranger.get("/api/v1/marking/lookup", {"code": "SDNA-000111"}).status_code == 404


def test_signage_for_the_map(world: World) -> None:
    manager = api_client_for(world, "manager")
    prop = manager.post(
        "/api/v1/marking/property",
        {
            "store": world.stores["nw-brighton"].pk,
            "product": "smartwater",
            "code": "SW-P1",
            "description": "Tills",
        },
    )
    assert prop.status_code == 201
    from shopwatch.marking import services

    services.signage_set(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        displayed=True,
    )
    rows = api_client_for(world, "partnership_manager").get("/api/v1/marking/signage").json()
    assert [r["store"] for r in rows] == [world.stores["nw-brighton"].pk]
    assert rows[0]["latitude"]


def test_police_see_only_engagement_and_only_when_shared(world: World) -> None:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        distribution=Distribution.POLICE,
        given_name="Reece",
        family_name="Lane",
    )
    case = navigator.case_refer(
        viewer=world.viewer("navigator"),
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="police",
        referred_by="PC Khan",
        reason="Prolific",
    )
    navigator.case_consent_record(
        viewer=world.viewer("navigator"), case_id=case.pk, consent="given", on=timezone.localdate()
    )
    police = api_client_for(world, "police_sussex")
    assert police.get("/api/v1/navigator/engagement", {"person": person.pk}).json()["engaged"] is False
    navigator.case_share_with_police(viewer=world.viewer("navigator"), case_id=case.pk, share=True)
    r = police.get("/api/v1/navigator/engagement", {"person": person.pk})
    assert r.json() == {"person": person.pk, "engaged": True}
    assert (
        api_client_for(world, "police_tv")
        .get("/api/v1/navigator/engagement", {"person": person.pk})
        .json()["engaged"]
        is False
    )
    assert (
        api_client_for(world, "reporter")
        .get("/api/v1/navigator/engagement", {"person": person.pk})
        .json()["engaged"]
        is False
    )

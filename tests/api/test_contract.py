"""The API contract a retailer's incident system relies on: health, schema, auth, lists, creation, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.core.apikeys import apikey_revoke
from shopwatch.core.models import ApiKey, AuditEvent, Channel, Distribution
from shopwatch.reporting.models import Flag, Incident, IncidentStatus, IncidentType
from tests.api.support import PROBLEM, ApiClient, smallest_body
from tests.world import World

Api = Callable[[str], ApiClient]


def test_healthz_answers_200_with_json(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["status"] == "ok"


def test_openapi_document_is_served_as_3_1(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    for path in (
        "/api/v1/incidents",
        "/api/v1/incidents/batch",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/stores",
        "/api/v1/persons",
        "/api/v1/persons/{person_id}",
    ):
        assert path in doc["paths"], path


def test_human_docs_are_served(client: Client, db: None) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


# --- Authentication ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer sw_nothing_here", "Bearer not-a-shopwatch-key", "Basic dXNlcjpwYXNz"],
    ids=["no-header", "empty-bearer", "unknown-key", "foreign-token", "basic-auth"],
)
def test_requests_without_a_valid_key_are_refused_401(world: World, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = Client().get("/api/v1/incidents", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["title"]


def test_a_tampered_key_is_refused(world: World, api: Api) -> None:
    a = api("reporter")
    prefix, _, rest = a.secret.rpartition("_")
    forged = f"{prefix}_{'A' if rest[0] != 'A' else 'B'}{rest[1:]}"
    response = Client().get("/api/v1/stores", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_a_key_that_is_not_recognised_is_said_so_even_beside_a_session_cookie(world: World) -> None:
    """A presented key that is not one is named as the problem (401), never hidden behind the session's CSRF
    check; a POST with neither a key nor a session is "authentication required", not a CSRF refusal."""
    client = Client()
    client.cookies["sessionid"] = "not-a-session"
    response = client.post(
        "/api/v1/incidents",
        smallest_body(world),
        content_type="application/json",
        headers={"Authorization": "Bearer sw_0123456789ab_nothing"},
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["title"] == "API key not recognised"
    assert response.json()["errors"][0]["field"] == "Authorization"
    bare = Client().post("/api/v1/incidents", smallest_body(world), content_type="application/json")
    assert bare.status_code == 401
    assert bare.json()["title"] == "Authentication required"
    assert Incident.objects.count() == 0


def test_a_revoked_key_is_refused(world: World, api: Api) -> None:
    a = api("reporter")
    assert a.get("/api/v1/stores").status_code == 200
    apikey_revoke(viewer=world.viewer("reporter"), api_key=ApiKey.objects.get(pk=a.key_id))
    response = a.get("/api/v1/stores")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert a.post("/api/v1/incidents", smallest_body(world)).status_code == 401
    assert Incident.objects.count() == 0


def test_a_key_of_a_deactivated_user_is_refused(world: World, api: Api) -> None:
    a = api("reporter")
    a.user.is_active = False
    a.user.save(update_fields=["is_active"])
    assert a.get("/api/v1/stores").status_code == 401


def test_a_key_carries_its_users_entitlements(world: World, api: Api) -> None:
    incident = world.report("reporter", "nw-brighton", distribution=Distribution.ORGANISATION)
    assert api("manager").get(f"/api/v1/incidents/{incident.pk}").status_code == 200
    assert api("security").get(f"/api/v1/incidents/{incident.pk}").status_code == 200
    assert api("same_partnership_reporter").get(f"/api/v1/incidents/{incident.pk}").status_code == 404
    # Reporting needs the right to report for the store, not just to see it.
    corner = api("same_partnership_reporter").post("/api/v1/incidents", smallest_body(world, "nw-brighton"))
    assert corner.status_code == 422
    assert [e["field"] for e in corner.json()["errors"]] == ["store"]


def test_the_default_rate_limit_allows_bursts_of_at_least_100_a_second() -> None:
    import shopwatch.settings as production_settings

    assert production_settings.SHOPWATCH_API_RATE_LIMIT >= 100


def test_rate_limit_answers_429_with_retry_after(
    world: World, api: Api, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SHOPWATCH_API_RATE_LIMIT = 5
    clock = [1_900_000_000.25]
    monkeypatch.setattr("shopwatch.core.ratelimit.time.time", lambda: clock[0])
    a, b = api("reporter"), api("manager")
    assert [a.get("/api/v1/stores").status_code for _ in range(5)] == [200] * 5
    refused = a.get("/api/v1/stores")
    assert refused.status_code == 429
    assert refused["Content-Type"] == PROBLEM
    assert int(refused["Retry-After"]) >= 1
    # A refused create writes nothing.
    assert a.post("/api/v1/incidents", smallest_body(world)).status_code == 429
    assert Incident.objects.count() == 0
    # The limit is per key: another key is unaffected.
    assert b.get("/api/v1/stores").status_code == 200
    # The next second the key may send again.
    clock[0] += 1
    assert a.get("/api/v1/stores").status_code == 200


# --- Lists ------------------------------------------------------------------------------------------


def test_following_next_yields_every_visible_incident_exactly_once(world: World, api: Api) -> None:
    base = timezone.now() - dt.timedelta(days=2)
    visible = set()
    for i in range(13):
        # Several share one timestamp, so the cursor must break ties.
        inc = world.report("reporter", "nw-brighton", occurred_at=base + dt.timedelta(minutes=i // 3))
        visible.add(inc.pk)
    hidden = world.report("unconnected_reporter", "oxshop-oxford", distribution=Distribution.PARTNERSHIP)
    pages = api("manager").follow("/api/v1/incidents", {"limit": 4})
    assert len(pages) >= 4
    ids = [item["id"] for page in pages for item in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == visible
    assert hidden.pk not in ids
    occurred = [item["occurred_at"] for page in pages for item in page]
    assert occurred == sorted(occurred, reverse=True)


def test_following_next_keeps_the_filters(world: World, api: Api) -> None:
    for _ in range(5):
        world.report("reporter", "nw-brighton", type="theft")
        world.report("other_store_reporter", "nw-hove", type="criminal_damage")
    pages = api("security").follow("/api/v1/incidents", {"limit": 2, "type": "criminal_damage"})
    items = [item for page in pages for item in page]
    assert len(items) == 5
    assert {item["type"] for item in items} == {"criminal_damage"}


def test_following_next_yields_every_store_exactly_once(world: World, api: Api) -> None:
    pages = api("admin").follow("/api/v1/stores", {"limit": 2})
    ids = [item["id"] for page in pages for item in page]
    assert sorted(ids) == sorted(s.pk for s in world.stores.values())


def test_a_bad_cursor_is_a_400_problem(world: World, api: Api) -> None:
    response = api("reporter").get("/api/v1/incidents", {"cursor": "!!not-a-cursor!!"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


def test_missing_and_not_visible_incidents_get_the_same_404(world: World, api: Api) -> None:
    hidden = world.report("unconnected_reporter", "oxshop-oxford", distribution=Distribution.ORGANISATION)
    a = api("reporter")
    not_visible = a.get(f"/api/v1/incidents/{hidden.pk}")
    missing = a.get(f"/api/v1/incidents/{hidden.pk + 10_000}")
    assert not_visible.status_code == missing.status_code == 404
    assert not_visible["Content-Type"] == missing["Content-Type"] == PROBLEM
    assert not_visible.content == missing.content


# --- Creating incidents -----------------------------------------------------------------------------


def test_smallest_valid_report_is_created_201(world: World, api: Api) -> None:
    a = api("reporter")
    response = a.post("/api/v1/incidents", smallest_body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["reference"] == incident.reference
    assert body["reference"].startswith("SW-")
    assert body["status"] == IncidentStatus.SHARED  # the store is in a partnership
    assert body["priority"] == "P3"
    assert body["offence_class"] == {"code": "46", "label": "Shoplifting (low value, £200 or less)"}
    assert incident.channel == Channel.API
    assert incident.reported_by_id == a.user.pk
    assert incident.store_id == world.stores["nw-brighton"].pk
    assert incident.owner_org_id == world.orgs["northway"].pk
    assert incident.force_id == world.orgs["sussex"].pk
    detail = a.get(f"/api/v1/incidents/{body['id']}")
    assert detail.status_code == 200
    assert detail.json()["description"] == "Took four steaks from the chiller and walked out"


@pytest.mark.parametrize("incident_type", IncidentType.values)
def test_every_incident_type_is_accepted(world: World, api: Api, incident_type: str) -> None:
    response = api("reporter").post("/api/v1/incidents", smallest_body(world, type=incident_type))
    assert response.status_code == 201, response.content
    assert Incident.objects.get(pk=response.json()["id"]).type == incident_type


def test_flags_are_stored_and_drive_priority(world: World, api: Api) -> None:
    a = api("reporter")
    response = a.post("/api/v1/incidents", smallest_body(world, flags=["violence", "staff_injured", "hate"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["priority"] == "P1"
    assert body["offence_class"]["code"] == "8N"
    detail = a.get(f"/api/v1/incidents/{body['id']}").json()
    assert sorted(detail["flags"]) == ["hate", "staff_injured", "violence"]
    incident = Incident.objects.get(pk=body["id"])
    assert (incident.flag_violence, incident.flag_staff_injured, incident.flag_hate) == (True, True, True)
    assert (incident.flag_weapon, incident.flag_offender_detained, incident.flag_offender_nearby) == (
        False,
    ) * 3


@pytest.mark.parametrize("flag", Flag.values)
def test_each_flag_round_trips(world: World, api: Api, flag: str) -> None:
    a = api("reporter")
    created = a.post("/api/v1/incidents", smallest_body(world, flags=[flag]))
    assert created.status_code == 201, created.content
    assert a.get(f"/api/v1/incidents/{created.json()['id']}").json()["flags"] == [flag]


def test_a_full_report_round_trips(world: World, api: Api) -> None:
    a = api("security")
    body = smallest_body(
        world,
        "nw-hove",
        type="robbery",
        flags=["weapon"],
        report_to_police=True,
        goods=[
            {"description": "Whisky", "value": "89.97", "quantity": 3},
            {"description": "Razor blades", "value": 40, "recovered": True},
        ],
        offenders=[{"description": "Tall man, grey hoodie"}],
        vehicles=[{"registration": "ab12 cde", "description": "Silver Ford Focus"}],
        location_detail="Spirits aisle",
        external_ref="NW-2026-000123",
    )
    response = a.post("/api/v1/incidents", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == IncidentStatus.SENT_TO_POLICE
    assert created["priority"] == "P1"
    assert created["offence_class"]["code"] == "34A"
    detail = a.get(f"/api/v1/incidents/{created['id']}").json()
    assert detail["goods_value"] == "129.97"
    assert [(g["description"], g["quantity"], g["recovered"]) for g in detail["goods"]] == [
        ("Whisky", 3, False),
        ("Razor blades", 1, True),
    ]
    assert detail["vehicles"] == [{"registration": "AB12CDE", "description": "Silver Ford Focus"}]
    assert detail["offenders"] == [{"person": None, "description": "Tall man, grey hoodie"}]
    assert detail["sent_to_police"] is True
    assert detail["external_ref"] == "NW-2026-000123"
    assert detail["channel"] == "api"


# --- Filters and stores -----------------------------------------------------------------------------


def test_incident_filters(world: World, api: Api) -> None:
    now = timezone.now()
    old = world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=10))
    recent_theft = world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=1))
    hove_damage = world.report(
        "other_store_reporter", "nw-hove", type="criminal_damage", occurred_at=now - dt.timedelta(days=2)
    )
    a = api("security")

    def ids(**params: Any) -> set[int]:
        return {item["id"] for page in a.follow("/api/v1/incidents", params) for item in page}

    assert ids() == {old.pk, recent_theft.pk, hove_damage.pk}
    assert ids(store=world.stores["nw-hove"].pk) == {hove_damage.pk}
    assert ids(type="theft") == {old.pk, recent_theft.pk}
    assert ids(date_from=(now - dt.timedelta(days=5)).isoformat()) == {recent_theft.pk, hove_damage.pk}
    assert ids(date_to=(now - dt.timedelta(days=5)).isoformat()) == {old.pk}
    assert ids(
        date_from=(now - dt.timedelta(days=3)).isoformat(), date_to=(now - dt.timedelta(hours=36)).isoformat()
    ) == {hove_damage.pk}
    marker = timezone.now()
    Incident.objects.filter(pk=old.pk).update(updated_at=marker + dt.timedelta(seconds=1))
    assert ids(updated_since=marker.isoformat()) == {old.pk}


def test_a_bad_filter_value_names_the_field(world: World, api: Api) -> None:
    response = api("security").get("/api/v1/incidents", {"type": "shoplifting", "date_from": "yesterday"})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert sorted(e["field"] for e in response.json()["errors"]) == ["date_from", "type"]


def test_stores_describe_what_a_reporter_needs(world: World, api: Api) -> None:
    items = {s["id"]: s for page in api("reporter").follow("/api/v1/stores") for s in page}
    mine = items[world.stores["nw-brighton"].pk]
    assert mine == {
        "id": world.stores["nw-brighton"].pk,
        "name": "Nw Brighton",
        "code": "nw-brigh",
        "retailer": "northway",
        "address": "1 High Street",
        "town": "Town",
        "postcode": "BN1 1AA",
        "latitude": 50.8225,
        "longitude": -0.1372,
        "partnerships": ["brighton-bcrp"],
        "force": "sussex",
        "can_report": True,
    }
    # Other stores of the partnership are listed, but the reporter cannot report for them.
    assert items[world.stores["corner-brighton"].pk]["can_report"] is False
    assert world.stores["oxshop-oxford"].pk not in items
    security = {s["id"]: s for page in api("security").follow("/api/v1/stores") for s in page}
    northway = {s.pk for k, s in world.stores.items() if k.startswith("nw-")}
    assert {pk for pk, s in security.items() if s["can_report"]} == northway


# --- Audit ------------------------------------------------------------------------------------------


def _last_audit(action: str, object_type: str = "incident") -> AuditEvent:
    return AuditEvent.objects.filter(action=action, object_type=object_type).order_by("-id").first()  # type: ignore[return-value]


def test_create_view_and_list_through_the_api_are_audited_with_key_and_channel(
    world: World, api: Api
) -> None:
    a = api("reporter")
    created = a.post("/api/v1/incidents", smallest_body(world)).json()
    event = _last_audit("create")
    assert (event.actor_id, event.api_key_id, event.channel) == (a.user.pk, a.key_id, Channel.API)
    assert event.organisation_id == world.orgs["northway"].pk
    assert event.object_id == str(created["id"])
    assert event.store_id == world.stores["nw-brighton"].pk

    before = AuditEvent.objects.count()
    a.get(f"/api/v1/incidents/{created['id']}")
    assert AuditEvent.objects.count() == before + 1
    event = _last_audit("view")
    assert (event.actor_id, event.api_key_id, event.channel, event.object_id) == (
        a.user.pk,
        a.key_id,
        Channel.API,
        str(created["id"]),
    )

    a.get("/api/v1/incidents")
    event = _last_audit("list")
    assert (event.actor_id, event.api_key_id, event.channel) == (a.user.pk, a.key_id, Channel.API)
    assert event.detail["ids"] == [created["id"]]


def test_a_refused_view_is_not_audited_as_a_view(world: World, api: Api) -> None:
    hidden = world.report("unconnected_reporter", "oxshop-oxford", distribution=Distribution.ORGANISATION)
    before = AuditEvent.objects.filter(action="view").count()
    assert api("reporter").get(f"/api/v1/incidents/{hidden.pk}").status_code == 404
    assert AuditEvent.objects.filter(action="view").count() == before


def test_a_web_view_is_audited_with_the_web_channel(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    client = Client()
    client.force_login(world.users["manager"])
    response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 200
    assert incident.reference in response.content.decode()
    event = _last_audit("view")
    assert (event.actor_id, event.api_key_id, event.channel) == (world.users["manager"].pk, None, Channel.WEB)
    assert event.organisation_id == world.orgs["northway"].pk


def test_export_is_audited_with_the_ids_it_contained(world: World) -> None:
    from shopwatch.reporting.selectors import IncidentFilters, incident_export_rows

    first = world.report("reporter", "nw-brighton")
    second = world.report("reporter", "nw-brighton", occurred_at=timezone.now() - dt.timedelta(days=1))
    viewer = world.viewer("security", channel=Channel.WEB)
    rows = incident_export_rows(viewer=viewer, filters=IncidentFilters())
    assert [r.pk for r in rows] == [first.pk, second.pk]
    event = _last_audit("export")
    assert event.actor_id == world.users["security"].pk
    assert event.channel == Channel.WEB
    assert event.detail["ids"] == [first.pk, second.pk]


def test_occurred_at_without_offset_is_uk_local_time(world: World, api: Api) -> None:
    a = api("reporter")
    response = a.post("/api/v1/incidents", smallest_body(world, occurred_at="2025-07-01T14:30:00"))
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.occurred_at == dt.datetime(2025, 7, 1, 13, 30, tzinfo=dt.UTC)

"""GET /api/v1/persons and /api/v1/persons/{id}: the shape, search, cursor and audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from shopwatch.core.models import AuditEvent, Channel, Distribution
from shopwatch.subjects.models import Person, PersonStatus
from shopwatch.subjects.services import person_create
from tests.api.support import PROBLEM, ApiClient
from tests.world import World

Api = Callable[[str], ApiClient]

SPECIAL_CATEGORY = ("ethnic", "race", "religio", "politic", "sexual", "orientation", "belief", "health")


def _person(world: World, family_name: str, **kw: Any) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        family_name=family_name,
        **kw,
    )


def test_detail_shape(world: World, api: Api) -> None:
    person = _person(
        world,
        "Taylor",
        given_name="Sam",
        aliases=["Sammy T", "  "],
        date_of_birth=dt.date(1990, 5, 17),
        description="Often in a red cap",
    )
    Person.objects.filter(pk=person.pk).update(
        height_cm=180, build="slim", hair="Short, dark", distinguishing_features="Scar on left hand"
    )
    body = api("reporter").get(f"/api/v1/persons/{person.pk}").json()
    assert body == {
        "id": person.pk,
        "status": "known",
        "given_name": "Sam",
        "family_name": "Taylor",
        "aliases": ["Sammy T"],
        "date_of_birth": "1990-05-17",
        "age_range": {"min": None, "max": None},
        "height_cm": 180,
        "build": "slim",
        "hair": "Short, dark",
        "distinguishing_features": "Scar on left hand",
        "description": "Often in a red cap",
        "partnership": "brighton-bcrp",
        "distribution": "partnership",
        "last_incident_at": None,
    }


def test_an_unidentified_person_has_an_age_range_and_no_name(world: World, api: Api) -> None:
    person = _person(world, "", status=PersonStatus.ID_SOUGHT, age_min=16, age_max=20)
    body = api("manager").get(f"/api/v1/persons/{person.pk}").json()
    assert (body["status"], body["given_name"], body["family_name"]) == ("id_sought", "", "")
    assert body["age_range"] == {"min": 16, "max": 20}
    assert body["build"] is None


def test_last_incident_at_follows_reports(world: World, api: Api) -> None:
    from shopwatch.reporting.services import OffenderInput

    person = _person(world, "Taylor")
    when = dt.datetime(2026, 3, 1, 9, 15, tzinfo=dt.UTC)
    world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)], occurred_at=when)
    body = api("reporter").get(f"/api/v1/persons/{person.pk}").json()
    assert dt.datetime.fromisoformat(body["last_incident_at"]) == when


def test_no_special_category_field_is_in_the_contract(world: World, api: Api, client: object) -> None:
    from shopwatch.api import api as ninja_api

    schema = ninja_api.get_openapi_schema()
    fields = list(schema["components"]["schemas"]["PersonOut"]["properties"])
    assert not [f for f in fields if any(word in f.lower() for word in SPECIAL_CATEGORY)]
    model_fields = [f.name for f in Person._meta.get_fields()]
    assert not [f for f in model_fields if any(word in f.lower() for word in SPECIAL_CATEGORY)]


def test_list_follows_next_to_every_visible_person_once(world: World, api: Api) -> None:
    mine = {_person(world, f"Person {i:02d}").pk for i in range(7)}
    hidden = person_create(
        viewer=world.viewer("unconnected_partnership_manager"),
        owner_org=world.orgs["oxford-bcrp"],
        family_name="Elsewhere",
    )
    pages = api("reporter").follow("/api/v1/persons", {"limit": 3})
    ids = [p["id"] for page in pages for p in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == mine
    assert hidden.pk not in ids
    assert len(pages) >= 3


def test_search_by_name_or_alias(world: World, api: Api) -> None:
    taylor = _person(world, "Taylor", given_name="Sam")
    jones = _person(world, "Jones", given_name="Alex", aliases=["Lexi Taylor-Smith"])
    _person(world, "Brown", given_name="Chris")
    a = api("reporter")

    def found(q: str) -> set[int]:
        return {p["id"] for page in a.follow("/api/v1/persons", {"q": q}) for p in page}

    assert found("taylor") == {taylor.pk, jones.pk}
    assert found("ALEX") == {jones.pk}
    assert found("nobody") == set()


def test_search_does_not_reach_beyond_what_the_caller_may_see(world: World, api: Api) -> None:
    person_create(
        viewer=world.viewer("unconnected_partnership_manager"),
        owner_org=world.orgs["oxford-bcrp"],
        family_name="Taylor",
        distribution=Distribution.PARTNERSHIP,
    )
    assert api("reporter").get("/api/v1/persons", {"q": "Taylor"}).json() == {"items": [], "next": None}


def test_missing_and_hidden_persons_get_the_same_404(world: World, api: Api) -> None:
    hidden = person_create(
        viewer=world.viewer("unconnected_partnership_manager"),
        owner_org=world.orgs["oxford-bcrp"],
        family_name="Elsewhere",
    )
    a = api("reporter")
    one, two = a.get(f"/api/v1/persons/{hidden.pk}"), a.get(f"/api/v1/persons/{hidden.pk + 999}")
    assert one.status_code == two.status_code == 404
    assert one["Content-Type"] == PROBLEM
    assert one.content == two.content


def test_views_and_lists_are_audited_with_key_and_channel(world: World, api: Api) -> None:
    person = _person(world, "Taylor")
    a = api("security")
    a.get(f"/api/v1/persons/{person.pk}")
    view = AuditEvent.objects.filter(action="view", object_type="person").get()
    assert (view.actor_id, view.api_key_id, view.channel, view.object_id) == (
        a.user.pk,
        a.key_id,
        Channel.API,
        str(person.pk),
    )
    assert view.organisation_id == world.orgs["northway"].pk
    assert view.partnership_id == world.orgs["brighton-bcrp"].pk
    a.get("/api/v1/persons")
    listing = AuditEvent.objects.filter(action="list", object_type="person").get()
    assert (listing.actor_id, listing.api_key_id, listing.channel) == (a.user.pk, a.key_id, Channel.API)
    assert listing.detail["ids"] == [person.pk]


def test_pcc_and_navigators_see_no_persons(world: World, api: Api) -> None:
    person = _person(world, "Taylor", distribution=Distribution.POLICE)
    for name in ("pcc", "navigator"):
        a = api(name)
        assert a.get("/api/v1/persons").json() == {"items": [], "next": None}
        assert a.get(f"/api/v1/persons/{person.pk}").status_code == 404
    assert not AuditEvent.objects.filter(action__in=["view", "list"], object_type="person").exists()


def test_persons_need_a_key(world: World) -> None:
    from django.test import Client

    response = Client().get("/api/v1/persons")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM

"""Link proposals in the permission-matrix style: every role against proposals whose two persons sit at
different places and distribution levels, through every channel (selectors, API, web pages, CSV export).

The expectation comes from the persons' own table in tests/test_permission_matrix.py (never from the code
under test): a viewer sees a proposal in full when the table lets them see both persons; a hit/no-hit
answer (only which organisation to contact) when it lets them see one; nothing otherwise. Store staff, PCC
scrutiny and navigators see none of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.http import Http404
from django.test import Client

from shopwatch.core.models import Distribution, Membership, Organisation, OrganisationKind, Role, User
from shopwatch.linking import selectors
from shopwatch.linking.models import LinkProposal
from shopwatch.linking.services import link_run
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.api.support import ApiClient, api_client_for
from tests.linking.conftest import file_people
from tests.test_permission_matrix import PERSON_RELATION, _web_client, expected_person
from tests.world import PASSWORD, World, build_world

D = Distribution
VIEWERS = list(PERSON_RELATION)
NO_LINKING = {
    "reporter",
    "manager",
    "other_store_reporter",
    "same_partnership_reporter",
    "connected_reporter",
    "unconnected_reporter",
    "pcc",
    "navigator",
}
HOLDER_NAME = {"brighton-bcrp": "Brighton BCRP", "oxford-bcrp": "Oxford BCRP"}

# (case, (home, level, given, family) of A, the same of B, date of birth): B is A under another spelling.
CASES = {
    "police & police across forces": (
        ("brighton-bcrp", D.POLICE, "Marcus", "Doyle"),
        ("oxford-bcrp", D.POLICE, "Markus", "Doyle"),
        dt.date(1988, 3, 14),
    ),
    "partnership & police across forces": (
        ("brighton-bcrp", D.PARTNERSHIP, "Keira", "Walsh"),
        ("oxford-bcrp", D.POLICE, "Kiera", "Walsh"),
        dt.date(1991, 7, 2),
    ),
    "partnership & partnership across forces": (
        ("brighton-bcrp", D.PARTNERSHIP, "Dean", "Kowalski"),
        ("oxford-bcrp", D.PARTNERSHIP, "Dean", "Kowalsky"),
        dt.date(1979, 11, 23),
    ),
    "organisation & all partnerships in one partnership": (
        ("brighton-bcrp", D.ORGANISATION, "Shannon", "Pike"),
        ("brighton-bcrp", D.ALL_PARTNERSHIPS, "Shanon", "Pike"),
        dt.date(1995, 1, 9),
    ),
}
OWNER = {"brighton-bcrp": "partnership_manager", "oxford-bcrp": "unconnected_partnership_manager"}


@dataclass
class Links:
    world: World
    proposals: dict[str, LinkProposal]
    sides: dict[str, tuple[tuple[str, str], tuple[str, str]]]
    api: dict[str, ApiClient]
    web: dict[str, Client]
    cache: dict[tuple[str, str], Any]


def _build() -> Links:
    world = build_world()
    opal = Organisation.objects.create(kind=OrganisationKind.NATIONAL_UNIT, slug="opal", name="Opal")
    national = User.objects.create_user(
        "national_analyst@example.org", PASSWORD, full_name="National Analyst"
    )
    Membership.objects.create(user=national, organisation=opal, role=Role.ANALYST)
    world.users["national_analyst"] = national
    file_people(world, 60)  # others on record, so the model has people to learn from
    persons: dict[str, tuple[Person, Person]] = {}
    for case, (a, b, dob) in CASES.items():
        pair = []
        for home, level, given, family in (a, b):
            pair.append(
                person_create(
                    viewer=world.viewer(OWNER[home]),
                    owner_org=world.orgs[home],
                    partnership=world.orgs[home],
                    given_name=given,
                    family_name=family,
                    date_of_birth=dob,
                    distribution=level,
                )
            )
        persons[case] = (pair[0], pair[1])
    link_run()
    proposals = {
        case: LinkProposal.objects.get(person_a=min(a.pk, b.pk), person_b=max(a.pk, b.pk))
        for case, (a, b) in persons.items()
    }
    sides: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
        case: ((a[0], a[1]), (b[0], b[1])) for case, (a, b, _) in CASES.items()
    }
    users = {name: User.objects.get(pk=world.users[name].pk) for name in VIEWERS}
    return Links(
        world=world,
        proposals=proposals,
        sides=sides,
        api={name: api_client_for(world, name) for name in VIEWERS},
        web={name: _web_client(users[name]) for name in VIEWERS},
        cache={},
    )


@pytest.fixture(scope="module")
def links(django_db_setup: None, django_db_blocker: Any) -> Iterator[Links]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _once(m: Links, key: tuple[str, str], compute: Any) -> Any:
    if key not in m.cache:
        m.cache[key] = compute()
    return m.cache[key]


def expected(viewer: str, sides: tuple[tuple[str, str], tuple[str, str]]) -> str:
    if viewer in NO_LINKING:
        return "nothing"
    seen = [expected_person(viewer, home, level) for home, level in sides]
    if all(seen):
        return "full"
    return "hit" if any(seen) else "nothing"


def _full_channels(m: Links, name: str, p: LinkProposal) -> dict[str, bool]:
    viewer = m.world.viewer(name)
    api, web = m.api[name], m.web[name]

    def selector_detail() -> bool:
        try:
            selectors.proposal_detail(viewer=viewer, proposal_id=p.pk)
        except Http404:
            return False
        return True

    def api_detail() -> bool:
        response = api.get(f"/api/v1/links/{p.pk}")
        status: int = response.status_code
        assert status in (200, 404), response.content
        if status == 200:
            body = response.json()
            assert body["explanation"]
            assert 0 <= body["probability"] <= 1
        return status == 200

    def web_detail() -> bool:
        response = web.get(f"/links/{p.pk}/")
        assert response.status_code in (200, 404), response.status_code
        if response.status_code == 200:
            assert "<svg" in response.content.decode()
        return response.status_code == 200

    def web_queue() -> set[int]:
        response = web.get("/links/", {"status": "proposed"})
        if response.status_code == 404:
            return set()
        page = response.content.decode()
        return {q.pk for q in m.proposals.values() if f"/links/{q.pk}/" in page}

    def web_export() -> set[int]:
        response = web.get("/links/export.csv")
        if response.status_code == 404:
            return set()
        return {int(row["id"]) for row in csv.DictReader(io.StringIO(response.content.decode()))}

    def api_list() -> set[int]:
        return {item["id"] for page in api.follow("/api/v1/links", {"limit": 50}) for item in page}

    return {
        "selector list": p.pk
        in _once(
            m, (name, "list"), lambda: {q.pk for q in selectors.proposal_list(viewer=viewer, limit=10_000)}
        ),
        "selector detail": selector_detail(),
        "selector export": p.pk
        in _once(m, (name, "export"), lambda: {q.pk for q in selectors.proposal_export_rows(viewer=viewer)}),
        "api list": p.pk in _once(m, (name, "api list"), api_list),
        "api detail": api_detail(),
        "web queue": p.pk in _once(m, (name, "web queue"), web_queue),
        "web detail": web_detail(),
        "web csv export": p.pk in _once(m, (name, "web export"), web_export),
    }


def _hit_channels(m: Links, name: str, case: str) -> dict[str, bool]:
    """Whether the viewer is told of a possible match for the side they hold, naming the other's holder."""
    viewer = m.world.viewer(name)
    p = m.proposals[case]
    sides = m.sides[case]
    own_side = 0 if expected_person(name, *sides[0]) else 1
    a, b = CASES[case][0], CASES[case][1]
    by_name = {(q.given_name, q.family_name): q.pk for q in (p.person_a, p.person_b)}
    own_id = by_name[(a, b)[own_side][2:4]]
    other_home = sides[1 - own_side][0]
    other = (a, b)[1 - own_side]
    other_id = by_name[other[2:4]]

    hits = _once(m, (name, "hits"), lambda: selectors.link_hits(viewer=viewer))
    api_hits = _once(m, (name, "api hits"), lambda: m.api[name].get("/api/v1/links/hits"))
    web_page = _once(m, (name, "web queue page"), lambda: m.web[name].get("/links/"))
    api_ok = api_hits.status_code == 200
    body = api_hits.json() if api_ok else {"items": []}
    page = web_page.content.decode() if web_page.status_code == 200 else ""
    # Nothing of the other record is told: not its name, not its id.
    text = json.dumps(body)
    assert f"{other[2]} {other[3]}" not in text
    assert f'"person": {other_id}' not in text
    return {
        "selector hits": any(h.person_id == own_id and h.contact_slug == other_home for h in hits),
        "api hits": any(i["person"] == own_id and i["contact"]["slug"] == other_home for i in body["items"]),
        "web queue": f"/people/{own_id}/" in page and HOLDER_NAME[other_home] in page,
    }


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_link_visibility(links: Links, db: None, viewer: str, case: str) -> None:
    want = expected(viewer, links.sides[case])
    full = _full_channels(links, viewer, links.proposals[case])
    wrong = {c: got for c, got in full.items() if got != (want == "full")}
    assert not wrong, f"{viewer} and '{case}': expected {want}, these full-detail channels disagree: {wrong}"
    if want == "hit":
        hit = _hit_channels(links, viewer, case)
        missing = {c: got for c, got in hit.items() if not got}
        assert not missing, f"{viewer} and '{case}': expected a hit/no-hit answer, missing in {missing}"


def test_the_national_analyst_sees_across_forces_and_a_store_reporter_nothing(links: Links, db: None) -> None:
    across = links.proposals["police & police across forces"]
    items = [i for page in links.api["national_analyst"].follow("/api/v1/links") for i in page]
    item = next(i for i in items if i["id"] == across.pk)
    assert {"id", "probability", "status", "explanation"} <= set(item)
    assert {e["field"] for e in item["explanation"]} >= {"prior", "first_name", "surname", "date_of_birth"}
    assert links.api["reporter"].get("/api/v1/links").json()["items"] == []
    assert links.api["pcc"].get("/api/v1/links/hits").json()["items"] == []
    assert links.web["reporter"].get("/links/").status_code == 404
    assert "/links/" not in links.web["reporter"].get("/incidents/").content.decode().split("<main")[0]


def test_a_decision_through_the_api_names_the_decider_and_needs_a_reason(links: Links, db: None) -> None:
    p = links.proposals["police & police across forces"]
    api = links.api["national_analyst"]
    no_reason = api.post(f"/api/v1/links/{p.pk}/decision", {"decision": "accept", "reason": ""})
    assert no_reason.status_code == 422
    assert no_reason["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in no_reason.json()["errors"]] == ["reason"]
    hidden = links.api["police_tv"].post(
        f"/api/v1/links/{p.pk}/decision", {"decision": "accept", "reason": "x"}
    )
    assert hidden.status_code == 404
    security = links.api["security"].post(
        f"/api/v1/links/{p.pk}/decision", {"decision": "accept", "reason": "x"}
    )
    assert security.status_code in (403, 404)
    ok = api.post(f"/api/v1/links/{p.pk}/decision", {"decision": "accept", "reason": "Same custody image"})
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["status"] == "accepted"
    assert body["decided_by"] == "National Analyst"
    assert body["person_a"]["identity"] == body["person_b"]["identity"] is not None
    again = api.post(f"/api/v1/links/{p.pk}/decision", {"decision": "accept", "reason": "Again"})
    assert again.status_code == 409


def test_the_list_answers_in_a_fixed_number_of_queries(links: Links, db: None) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = links.api["national_analyst"]
    api.get("/api/v1/links", {"limit": 1})  # the key's first use of the minute records itself
    with CaptureQueriesContext(connection) as small:
        assert api.get("/api/v1/links", {"limit": 2}).status_code == 200
    with CaptureQueriesContext(connection) as large:
        body = api.get("/api/v1/links", {"limit": 40}).json()
    assert len(body["items"]) > 2
    assert len(large.captured_queries) == len(small.captured_queries)

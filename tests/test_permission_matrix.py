"""The permission matrix: every role against every relation, for incidents and persons, everywhere they show.

The expected answers come from a table written out by hand below (RELATION x LEVEL), never from the code
under test. Each (viewer, record) case checks every way a record can reach a person: the selectors, the
object check, the API list and detail, the web list, detail page and CSV export. A case failing names the
channels that disagree with the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.http import Http404
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core.entitlements import can_see
from shopwatch.core.models import (
    Distribution,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    SharingGroup,
    User,
)
from shopwatch.reporting import selectors as incident_selectors
from shopwatch.reporting.models import Incident
from shopwatch.reporting.pickers import person_options
from shopwatch.subjects import selectors as person_selectors
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.api.support import ApiClient, api_client_for
from tests.pages import without_tokens
from tests.world import PASSWORD, World, build_world

D = Distribution
SENT = "organisation+sent_to_police"  # kept to the organisation, but reported to police
INCIDENT_LEVELS = [D.ORGANISATION, D.PARTNERSHIP, D.CONNECTED, D.ALL_PARTNERSHIPS, D.POLICE, D.GROUP, SENT]
PERSON_LEVELS = [D.ORGANISATION, D.PARTNERSHIP, D.CONNECTED, D.ALL_PARTNERSHIPS, D.POLICE, D.GROUP]
EVERY = frozenset(INCIDENT_LEVELS)

# --- The table: what each relation to a record's place lets a viewer see, by distribution level -----------
# A named group's records are seen by the owner's relations marked EVERY and by the group's members (below).
SEES: dict[str, frozenset[str]] = {
    "own store": EVERY,
    "own estate (security manager)": EVERY,
    "owning organisation": EVERY,
    "same partnership": frozenset({D.PARTNERSHIP, D.CONNECTED, D.ALL_PARTNERSHIPS, D.POLICE}),
    "connected partnership": frozenset({D.CONNECTED, D.ALL_PARTNERSHIPS, D.POLICE}),
    "unconnected partnership": frozenset({D.ALL_PARTNERSHIPS, D.POLICE}),
    "police, same force": frozenset({D.POLICE, SENT}),
    "police, national unit": frozenset({D.POLICE, SENT}),
    "police, other force": frozenset(),
    "PCC": frozenset(),
    "navigator": frozenset(),
    "platform admin": EVERY,
}

# Sites where incidents are reported, and the viewers' relation to each.
#   nw-brighton: Northway, Brighton BCRP, Sussex.  corner-brighton: Corner Shop, Brighton BCRP, Sussex.
#   oxshop-oxford: Oxford Goods, Oxford BCRP, Thames Valley.  (Brighton and Crawley share the Sussex network.)
SITES = ["nw-brighton", "corner-brighton", "oxshop-oxford"]
INCIDENT_RELATION: dict[str, tuple[str, str, str]] = {
    "reporter": ("own store", "same partnership", "unconnected partnership"),
    "manager": ("own store", "same partnership", "unconnected partnership"),
    "other_store_reporter": ("same partnership", "same partnership", "unconnected partnership"),
    # Northway's estate includes nw-oxford, so its security manager takes part in Oxford BCRP as well.
    "security": ("own estate (security manager)", "same partnership", "same partnership"),
    "same_partnership_reporter": ("same partnership", "own store", "unconnected partnership"),
    "partnership_manager": ("same partnership", "same partnership", "unconnected partnership"),
    "connected_reporter": ("connected partnership", "connected partnership", "unconnected partnership"),
    "connected_partnership_manager": (
        "connected partnership",
        "connected partnership",
        "unconnected partnership",
    ),
    "unconnected_reporter": ("unconnected partnership", "unconnected partnership", "own store"),
    "unconnected_partnership_manager": (
        "unconnected partnership",
        "unconnected partnership",
        "same partnership",
    ),
    "police_sussex": ("police, same force", "police, same force", "police, other force"),
    "supervisor_sussex": ("police, same force", "police, same force", "police, other force"),
    "analyst_sussex": ("police, same force", "police, same force", "police, other force"),
    "police_tv": ("police, other force", "police, other force", "police, same force"),
    "national_analyst": ("police, national unit", "police, national unit", "police, national unit"),
    "pcc": ("PCC", "PCC", "PCC"),
    "navigator": ("navigator", "navigator", "navigator"),
    "admin": ("platform admin", "platform admin", "platform admin"),
}
VIEWERS = list(INCIDENT_RELATION)

# The named sharing group: Northway, Oxford BCRP and Thames Valley Police. Its members are the
# organisation-wide staff of those organisations (not store staff).
GROUP_ORGS = ["northway", "oxford-bcrp", "thames-valley"]
GROUP_MEMBERS = frozenset({"security", "unconnected_partnership_manager", "police_tv"})

# Who files each site's records: (reporter for ordinary levels, organisation-wide member for the group).
FILED_BY = {
    "nw-brighton": ("reporter", "security"),
    "corner-brighton": ("same_partnership_reporter", None),  # Corner Shop has no organisation-wide member
    "oxshop-oxford": ("unconnected_reporter", "unconnected_partnership_manager"),
}

# Persons are kept for a partnership: Brighton BCRP's, owned by it, and Oxford BCRP's.
PERSON_HOMES = ["brighton-bcrp", "oxford-bcrp"]
PERSON_OWNER = {"brighton-bcrp": "partnership_manager", "oxford-bcrp": "unconnected_partnership_manager"}
PERSON_RELATION: dict[str, tuple[str, str]] = {
    "reporter": ("same partnership", "unconnected partnership"),
    "manager": ("same partnership", "unconnected partnership"),
    "other_store_reporter": ("same partnership", "unconnected partnership"),
    "security": ("same partnership", "same partnership"),
    "same_partnership_reporter": ("same partnership", "unconnected partnership"),
    "partnership_manager": ("owning organisation", "unconnected partnership"),
    "connected_reporter": ("connected partnership", "unconnected partnership"),
    "connected_partnership_manager": ("connected partnership", "unconnected partnership"),
    "unconnected_reporter": ("unconnected partnership", "same partnership"),
    "unconnected_partnership_manager": ("unconnected partnership", "owning organisation"),
    "police_sussex": ("police, same force", "police, other force"),
    "supervisor_sussex": ("police, same force", "police, other force"),
    "analyst_sussex": ("police, same force", "police, other force"),
    "police_tv": ("police, other force", "police, same force"),
    "national_analyst": ("police, national unit", "police, national unit"),
    "pcc": ("PCC", "PCC"),
    "navigator": ("navigator", "navigator"),
    "admin": ("platform admin", "platform admin"),
}


def expected_incident(viewer: str, site: str, level: str) -> bool:
    relation = INCIDENT_RELATION[viewer][SITES.index(site)]
    if level == D.GROUP and viewer in GROUP_MEMBERS:
        return True
    return level in SEES[relation]


def expected_person(viewer: str, home: str, level: str) -> bool:
    relation = PERSON_RELATION[viewer][PERSON_HOMES.index(home)]
    if level == D.GROUP and viewer in GROUP_MEMBERS:
        return True
    return level in SEES[relation]


INCIDENT_RECORDS = [
    (site, level) for site in SITES for level in INCIDENT_LEVELS if level != D.GROUP or FILED_BY[site][1]
]
PERSON_RECORDS = [(home, level) for home in PERSON_HOMES for level in PERSON_LEVELS]


# --- The world, built once for the module inside a transaction that is rolled back at the end -----------


@dataclass
class Matrix:
    world: World
    incidents: dict[tuple[str, str], Incident]
    persons: dict[tuple[str, str], Person]
    api: dict[str, ApiClient]
    web: dict[str, Client]
    cache: dict[tuple[str, str], set[int]]

    def user(self, name: str) -> User:
        return User.objects.get(pk=self.world.users[name].pk)


def _web_client(user: User) -> Client:
    """A signed-in browser session, with a verified second factor for the roles that need one."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _build() -> Matrix:
    world = build_world()
    nca = Organisation.objects.create(kind=OrganisationKind.NATIONAL_UNIT, slug="opal", name="Opal")
    national = User.objects.create_user(
        "national_analyst@example.org", PASSWORD, full_name="National Analyst"
    )
    Membership.objects.create(user=national, organisation=nca, role=Role.ANALYST)
    world.users["national_analyst"] = national
    group = SharingGroup.objects.create(slug="south-retail-crime", name="South retail crime group")
    group.organisations.set([world.orgs[k] for k in GROUP_ORGS])

    incidents: dict[tuple[str, str], Incident] = {}
    for site, level in INCIDENT_RECORDS:
        reporter, group_member = FILED_BY[site]
        kwargs: dict[str, Any] = {"description": f"{level} report at {site}"}
        if level == SENT:
            kwargs.update(distribution=D.ORGANISATION, report_to_police=True)
        elif level == D.GROUP:
            kwargs.update(distribution=D.GROUP, sharing_group=group.slug)
            reporter = group_member or reporter
        else:
            kwargs["distribution"] = level
        incidents[(site, level)] = world.report(reporter, site, **kwargs)

    persons: dict[tuple[str, str], Person] = {}
    for home, level in PERSON_RECORDS:
        person = person_create(
            viewer=world.viewer(PERSON_OWNER[home]),
            owner_org=world.orgs[home],
            given_name=level.title(),
            family_name=f"Of {home}",
            distribution=level,
        )
        if level == D.GROUP:
            # person_create takes no sharing group yet; the record is addressed to the group here.
            Person.objects.filter(pk=person.pk).update(sharing_group=group)
            person.refresh_from_db()
        persons[(home, level)] = person

    users = {name: User.objects.get(pk=world.users[name].pk) for name in VIEWERS}
    return Matrix(
        world=world,
        incidents=incidents,
        persons=persons,
        api={name: api_client_for(world, name) for name in VIEWERS},
        web={name: _web_client(users[name]) for name in VIEWERS},
        cache={},
    )


@pytest.fixture(scope="module")
def matrix(django_db_setup: None, django_db_blocker: Any) -> Iterator[Matrix]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _once(m: Matrix, key: tuple[str, str], compute: Any) -> set[int]:
    """Lists are read once per viewer and channel, then every case looks itself up in them."""
    if key not in m.cache:
        m.cache[key] = set(compute())
    return m.cache[key]


# --- Incidents ----------------------------------------------------------------------------------------


def _incident_channels(m: Matrix, name: str, incident: Incident) -> dict[str, bool]:
    viewer = m.world.viewer(name)
    api, web = m.api[name], m.web[name]
    by_ref = {i.reference: i.pk for i in m.incidents.values()}

    def selector_detail() -> bool:
        try:
            incident_selectors.incident_detail(viewer=viewer, incident_id=incident.pk)
        except Http404:
            return False
        return True

    def api_detail() -> bool:
        response = api.get(f"/api/v1/incidents/{incident.pk}")
        assert response.status_code in (200, 404), response.content
        return bool(response.status_code == 200)

    def web_detail() -> bool:
        response = web.get(f"/incidents/{incident.pk}/")
        assert response.status_code in (200, 404), (response.status_code, response.get("Location"))
        if response.status_code == 200:
            assert incident.reference in response.content.decode()
        return response.status_code == 200

    def web_list() -> set[int]:
        response = web.get("/incidents/")
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        page = response.content.decode()
        return {pk for ref, pk in by_ref.items() if ref in page}

    def web_export() -> set[int]:
        response = web.get("/incidents/export.csv")
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        return {by_ref[row["reference"]] for row in rows}

    def selector_page() -> list[int]:
        rows, cursor = incident_selectors.incident_page(
            viewer=viewer, filters=incident_selectors.IncidentFilters(), after=None, limit=1000
        )
        assert cursor is None
        return [r.pk for r in rows]

    return {
        "selector list": incident.pk in _once(m, (name, "selector list"), selector_page),
        "selector detail": selector_detail(),
        "object check": can_see(viewer, incident),
        "selector export": incident.pk
        in _once(
            m,
            (name, "selector export"),
            lambda: [
                r.pk
                for r in incident_selectors.incident_export_rows(
                    viewer=viewer, filters=incident_selectors.IncidentFilters()
                )
            ],
        ),
        "api list": incident.pk
        in _once(
            m,
            (name, "api list"),
            lambda: [item["id"] for page in api.follow("/api/v1/incidents", {"limit": 4}) for item in page],
        ),
        "api detail": api_detail(),
        "web list": incident.pk in _once(m, (name, "web list"), web_list),
        "web detail": web_detail(),
        "web csv export": incident.pk in _once(m, (name, "web csv export"), web_export),
    }


@pytest.mark.parametrize("record", INCIDENT_RECORDS, ids=[f"{s}@{lv}" for s, lv in INCIDENT_RECORDS])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_incident_visibility(matrix: Matrix, db: None, viewer: str, record: tuple[str, str]) -> None:
    site, level = record
    expected = expected_incident(viewer, site, level)
    seen = _incident_channels(matrix, viewer, matrix.incidents[record])
    wrong = {channel: got for channel, got in seen.items() if got != expected}
    relation = INCIDENT_RELATION[viewer][SITES.index(site)]
    assert not wrong, (
        f"{viewer} ({relation}) and a {level} incident at {site}: expected "
        f"{'visible' if expected else 'hidden'}, but these channels disagree: {wrong}"
    )


# --- Persons ------------------------------------------------------------------------------------------


def _person_channels(m: Matrix, name: str, person: Person) -> dict[str, bool]:
    viewer = m.world.viewer(name)
    api = m.api[name]

    def selector_detail() -> bool:
        try:
            person_selectors.person_detail(viewer=viewer, person_id=person.pk)
        except Http404:
            return False
        return True

    def selector_list() -> list[int]:
        ids: list[int] = []
        after = None
        while True:
            rows = person_selectors.person_list(viewer=viewer, after_id=after, limit=5)
            if not rows:
                return ids
            ids += [p.pk for p in rows]
            after = rows[-1].pk

    def api_detail() -> bool:
        response = api.get(f"/api/v1/persons/{person.pk}")
        assert response.status_code in (200, 404), response.content
        return bool(response.status_code == 200)

    return {
        "selector list": person.pk in _once(m, (name, "person selector list"), selector_list),
        "selector detail": selector_detail(),
        "object check": can_see(viewer, person),
        "picker": person.pk in [o.value for o in person_options(viewer=viewer, q=person.display_name)],
        "api list": person.pk
        in _once(
            m,
            (name, "person api list"),
            lambda: [item["id"] for page in api.follow("/api/v1/persons", {"limit": 3}) for item in page],
        ),
        "api detail": api_detail(),
    }


@pytest.mark.parametrize("record", PERSON_RECORDS, ids=[f"{h}@{lv}" for h, lv in PERSON_RECORDS])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_person_visibility(matrix: Matrix, db: None, viewer: str, record: tuple[str, str]) -> None:
    home, level = record
    expected = expected_person(viewer, home, level)
    seen = _person_channels(matrix, viewer, matrix.persons[record])
    wrong = {channel: got for channel, got in seen.items() if got != expected}
    relation = PERSON_RELATION[viewer][PERSON_HOMES.index(home)]
    assert not wrong, (
        f"{viewer} ({relation}) and a {level} person of {home}: expected "
        f"{'visible' if expected else 'hidden'}, but these channels disagree: {wrong}"
    )


# --- The table covers the world -----------------------------------------------------------------------


def test_every_role_and_every_world_user_is_in_the_table(matrix: Matrix, db: None) -> None:
    assert set(VIEWERS) == set(matrix.world.users)
    assert set(PERSON_RELATION) == set(VIEWERS)
    roles = set(
        Membership.objects.filter(user__email__in=[u.email for u in matrix.world.users.values()]).values_list(
            "role", flat=True
        )
    )
    assert roles == set(Role.values)
    assert set(INCIDENT_LEVELS) - {SENT} == set(Distribution.values)


def test_not_visible_and_missing_read_the_same_everywhere(matrix: Matrix, db: None) -> None:
    hidden = matrix.incidents[("oxshop-oxford", D.ORGANISATION)]
    missing_id = max(i.pk for i in matrix.incidents.values()) + 1000
    api = matrix.api["reporter"]
    assert (
        api.get(f"/api/v1/incidents/{hidden.pk}").content
        == api.get(f"/api/v1/incidents/{missing_id}").content
    )
    web = matrix.web["reporter"]
    a, b = web.get(f"/incidents/{hidden.pk}/"), web.get(f"/incidents/{missing_id}/")
    assert a.status_code == b.status_code == 404
    assert without_tokens(a.content) == without_tokens(b.content)
    person = matrix.persons[("oxford-bcrp", D.ORGANISATION)]
    missing_person = max(p.pk for p in matrix.persons.values()) + 1000
    assert (
        api.get(f"/api/v1/persons/{person.pk}").content
        == api.get(f"/api/v1/persons/{missing_person}").content
    )


# --- Persons kept by a retailer sit in its stores' partnerships and force areas --------


def test_a_retailers_police_level_person_reaches_the_police_of_its_stores(matrix: Matrix, db: None) -> None:
    person = person_create(
        viewer=matrix.world.viewer("security"),
        owner_org=matrix.world.orgs["northway"],
        family_name="Retailer-owned",
        distribution=D.POLICE,
    )
    assert can_see(matrix.world.viewer("police_sussex"), person)
    assert can_see(matrix.world.viewer("police_tv"), person)  # Northway has stores in both forces


def test_a_retailers_partnership_level_person_reaches_its_partnership(matrix: Matrix, db: None) -> None:
    person = person_create(
        viewer=matrix.world.viewer("security"),
        owner_org=matrix.world.orgs["northway"],
        family_name="Retailer-owned",
        distribution=D.PARTNERSHIP,
    )
    assert can_see(matrix.world.viewer("partnership_manager"), person)
    assert not can_see(matrix.world.viewer("connected_reporter"), person)
    assert not can_see(matrix.world.viewer("police_sussex"), person)

"""The permission matrix for records owned by one police force or one partnership (core.entitlements.Owner):
a force's series, case files and hand-offs, a partnership's warning letters and exclusion notices.

Every person in the test world (tests/world.py) against one record of each kind per owner. The expected
answers are written out by hand, never computed by the code under test: the police of the owning force
see its records, the managers of the owning partnership see its records, platform admins see every record
(docs/decisions/0002-one-entitlement-mechanism.md), and nobody else sees any; lists and single records agree,
and a record someone may not see is the same 404 as one that does not exist.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Model
from django.http import Http404
from django.utils import timezone

from shopwatch.core.entitlements import get_owned, owned_scope
from shopwatch.intelligence import selectors as intelligence_selectors
from shopwatch.intelligence.models import ExclusionNotice, ServedHow, WarningLetter
from shopwatch.policing.models import CaseFile, Delivery, LinkBasis, Series
from shopwatch.policing.selectors.cases import casefile_queryset, series_queryset
from shopwatch.subjects.services import person_create
from tests.world import World

EVERYONE = [
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "connected_reporter",
    "unconnected_reporter",
    "partnership_manager",
    "connected_partnership_manager",
    "unconnected_partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "police_tv",
    "pcc",
    "navigator",
    "admin",
]

# Which force's records each person sees (series, case files, hand-offs).
FORCE_RECORDS: dict[str, set[str]] = {name: set() for name in EVERYONE} | {
    "police_sussex": {"sussex"},
    "supervisor_sussex": {"sussex"},
    "analyst_sussex": {"sussex"},
    "police_tv": {"thames-valley"},
    "admin": {"sussex", "thames-valley"},
}
# Which partnership's records each person sees (warning letters, exclusion notices).
PARTNERSHIP_RECORDS: dict[str, set[str]] = {name: set() for name in EVERYONE} | {
    "partnership_manager": {"brighton-bcrp"},
    "connected_partnership_manager": set(),  # connected through the network, but not its manager
    "unconnected_partnership_manager": {"oxford-bcrp"},
    "admin": {"brighton-bcrp", "oxford-bcrp"},
}
FORCES = {"sussex": "nw-brighton", "thames-valley": "nw-oxford"}
PARTNERSHIPS = {"brighton-bcrp": "partnership_manager", "oxford-bcrp": "unconnected_partnership_manager"}


def _owned_records(world: World) -> dict[type[Model], dict[str, Model]]:
    records: dict[type[Model], dict[str, Model]] = {Series: {}, CaseFile: {}, Delivery: {}}
    for force, store in FORCES.items():
        incident = world.report("manager" if force == "sussex" else "security", store, report_to_police=True)
        series = Series.objects.create(force=world.orgs[force], name=f"{force} series", basis=LinkBasis.STORE)
        records[Series][force] = series
        records[CaseFile][force] = CaseFile.objects.create(
            force=world.orgs[force], kind=CaseFile.Kind.SERIES, title=f"{force} file", series=series
        )
        records[Delivery][force] = Delivery.objects.create(
            incident=incident, force=world.orgs[force], payload_version="1", body="{}"
        )
    records[WarningLetter] = {}
    records[ExclusionNotice] = {}
    now = timezone.now()
    for partnership, manager in PARTNERSHIPS.items():
        person = person_create(
            viewer=world.viewer(manager),
            owner_org=world.orgs[partnership],
            partnership=world.orgs[partnership],
            given_name="Kyle",
            family_name="Marsh",
            description="Tall, grey hoodie",
        )
        served = {"served_how": ServedHow.IN_PERSON, "served_at": now, "served_by": "PC Smith"}
        records[WarningLetter][partnership] = WarningLetter.objects.create(
            partnership=world.orgs[partnership], person=person, reason="Thefts", **served
        )
        records[ExclusionNotice][partnership] = ExclusionNotice.objects.create(
            partnership=world.orgs[partnership],
            person=person,
            starts_on=now.date(),
            ends_on=now.date() + dt.timedelta(days=180),
            **served,
        )
    return records


def _expected(name: str, model: type[Model]) -> set[str]:
    return PARTNERSHIP_RECORDS[name] if model in (WarningLetter, ExclusionNotice) else FORCE_RECORDS[name]


@pytest.mark.parametrize("name", EVERYONE)
def test_owned_records_lists_and_single_records_agree_with_the_table(world: World, name: str) -> None:
    records = _owned_records(world)
    viewer = world.viewer(name)
    for model, by_owner in records.items():
        expected = _expected(name, model)
        listed = set(owned_scope(model._default_manager.all(), viewer).values_list("pk", flat=True))
        assert listed == {by_owner[o].pk for o in expected}, (name, model.__name__)
        for owner, record in by_owner.items():
            if owner in expected:
                assert get_owned(model._default_manager.all(), viewer, pk=record.pk) == record
            else:
                with pytest.raises(Http404):
                    get_owned(model._default_manager.all(), viewer, pk=record.pk)
    # A record that does not exist is the same 404.
    with pytest.raises(Http404):
        get_owned(Series.objects.all(), viewer, pk=10**9)


@pytest.mark.parametrize("name", EVERYONE)
def test_the_selectors_that_read_owned_records_use_the_scope(world: World, name: str) -> None:
    records = _owned_records(world)
    viewer = world.viewer(name)
    series = {s.pk for s in series_queryset(viewer)}
    assert series == {records[Series][o].pk for o in FORCE_RECORDS[name]}
    files = {c.pk for c in casefile_queryset(viewer)}
    assert files == {records[CaseFile][o].pk for o in FORCE_RECORDS[name]}
    for partnership in PARTNERSHIPS:
        org = world.orgs[partnership]
        sees = partnership in PARTNERSHIP_RECORDS[name]
        letters = list(intelligence_selectors.warning_letters(viewer=viewer, partnership=org))
        assert letters == ([records[WarningLetter][partnership]] if sees else [])
        notices = list(intelligence_selectors.exclusion_notices(viewer=viewer, partnership=org))
        assert notices == ([records[ExclusionNotice][partnership]] if sees else [])
        letter = records[WarningLetter][partnership]
        if sees:
            assert intelligence_selectors.warning_letter_get(viewer=viewer, letter_id=letter.pk) == letter
        else:
            with pytest.raises(Http404):
                intelligence_selectors.warning_letter_get(viewer=viewer, letter_id=letter.pk)

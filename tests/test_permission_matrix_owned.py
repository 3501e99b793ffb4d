"""The permission matrix for records owned by one police force, one partnership or one organisation.

Records declaring an owner (core.entitlements.Owner): a force's series, link suggestions, case files and
hand-offs, a partnership's warning letters and exclusion notices. Below them, the owned records whose apps
scope them with a rule of their own, each through the selector that reads it: what a business holds at a store
(forensic-marking kits and their deployments, marked property, self-assessments, programme enrolments), a
partnership's prevention programmes, a navigator organisation's cases and a force's face searches. (Link
proposals between persons are proven by tests/linking/test_permission_matrix_links.py.)

Every person in the test world (tests/world.py) against one record of each kind per owner. The expected
answers are written out by hand, never computed by the code under test: the police of the owning force
see its records, the managers of the owning partnership see its records, platform admins see every record
(docs/decisions/0002-one-entitlement-mechanism.md), and nobody else sees any; lists and single records agree,
and a record someone may not see is the same 404 as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Model
from django.http import Http404
from django.utils import timezone

from shopwatch.core.entitlements import get_owned, owned_scope
from shopwatch.intelligence import selectors as intelligence_selectors
from shopwatch.intelligence.models import ExclusionNotice, ServedHow, WarningLetter
from shopwatch.policing.models import CaseFile, Delivery, LinkBasis, LinkSuggestion, Series
from shopwatch.policing.selectors.cases import casefile_queryset, series_queryset
from shopwatch.subjects.services import person_create
from tests.matrix_support import EVERYONE, nobody_but
from tests.world import World

# Which force's records each person sees (series, link suggestions, case files, hand-offs).
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
    records: dict[type[Model], dict[str, Model]] = {
        Series: {},
        LinkSuggestion: {},
        CaseFile: {},
        Delivery: {},
    }
    for force, store in FORCES.items():
        reporter = "manager" if force == "sussex" else "security"
        incident = world.report(reporter, store, report_to_police=True)
        again = world.report(reporter, store, report_to_police=True)
        records[LinkSuggestion][force] = LinkSuggestion.objects.create(
            force=world.orgs[force], incident_a=incident, incident_b=again, basis=LinkBasis.STORE
        )
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


# --- Owned records whose apps scope them with a rule of their own ------------------------------------------
# Each is read through its app's selector; the expected answers are written out by hand.

HOLDERS = {"nw-brighton": "northway", "oxshop-oxford": "oxshop"}
# What a business holds at a store (Northway at Northway Brighton, in Brighton BCRP and Sussex; Oxford Goods
# at its Oxford store, in Oxford BCRP and Thames Valley): the store's staff, the retailer's organisation-wide
# staff, the managers of the store's partnerships and the platform operator. Not another store of the same
# retailer, not a neighbouring store, not a connected partnership, not PCC scrutiny or navigators.
BUSINESS_HELD = nobody_but(
    reporter={"nw-brighton"},
    manager={"nw-brighton"},
    security={"nw-brighton"},
    unconnected_reporter={"oxshop-oxford"},
    partnership_manager={"nw-brighton"},
    unconnected_partnership_manager={"oxshop-oxford"},
    admin={"nw-brighton", "oxshop-oxford"},
)
# Forensic marking is also seen by police of the store's force area (to answer a code look-up).
MARKING = BUSINESS_HELD | {
    "police_sussex": {"nw-brighton"},
    "supervisor_sussex": {"nw-brighton"},
    "analyst_sussex": {"nw-brighton"},
    "police_tv": {"oxshop-oxford"},
}


def _held_records(world: World) -> dict[type[Model], dict[str, Model]]:
    from shopwatch.assessments.models import Assessment, QuestionSet
    from shopwatch.assessments.services import question_sets_install
    from shopwatch.marking.models import Deployment, KitKind, MarkedProperty, MarkingKit, Product

    # A data migration installs the question sets; a transactional test elsewhere may have flushed them.
    question_sets_install()
    question_set = QuestionSet.objects.get(slug="premises", current=True)
    records: dict[type[Model], dict[str, Model]] = {
        MarkingKit: {},
        Deployment: {},
        MarkedProperty: {},
        Assessment: {},
    }
    for n, (store_key, retailer) in enumerate(HOLDERS.items()):
        store, owner = world.stores[store_key], world.orgs[retailer]
        kit = MarkingKit.objects.create(
            owner_org=owner,
            store=store,
            product=Product.SMARTWATER,
            kind=KitKind.SPRAY,
            batch="B1",
            code=f"SW-{n}",
            code_prefix="SW-",
        )
        records[MarkingKit][store_key] = kit
        incident = world.report("security" if retailer == "northway" else "unconnected_reporter", store_key)
        records[Deployment][store_key] = Deployment.objects.create(
            kit=kit, incident=incident, deployed_by="Guard", deployed_at=timezone.now(), target="person"
        )
        records[MarkedProperty][store_key] = MarkedProperty.objects.create(
            owner_org=owner, store=store, product=Product.SMARTWATER, code=f"MP-{n}", description="Till"
        )
        records[Assessment][store_key] = Assessment.objects.create(
            question_set=question_set,
            organisation=owner,
            store=store,
            answers={},
            score=50,
            area_scores={},
            next_steps=[],
            certificate_number=f"CERT-{n}",
        )
    return records


@pytest.mark.parametrize("name", EVERYONE)
def test_what_a_business_holds_at_a_store(world: World, name: str) -> None:
    from shopwatch.assessments.models import Assessment
    from shopwatch.assessments.selectors import assessment_queryset
    from shopwatch.marking.models import Deployment, MarkedProperty, MarkingKit
    from shopwatch.marking.selectors import kit_queryset, property_queryset

    records = _held_records(world)
    viewer = world.viewer(name)
    kits = kit_queryset(viewer)
    seen: dict[type[Model], set[int]] = {
        MarkingKit: set(kits.values_list("pk", flat=True)),
        # A deployment is read through its kit (the look-up and the kit's page list the kit's deployments).
        Deployment: set(Deployment.objects.filter(kit__in=kits).values_list("pk", flat=True)),
        MarkedProperty: set(property_queryset(viewer).values_list("pk", flat=True)),
        Assessment: set(assessment_queryset(viewer).values_list("pk", flat=True)),
    }
    for model, by_store in records.items():
        expected = BUSINESS_HELD[name] if model is Assessment else MARKING[name]
        assert seen[model] == {by_store[s].pk for s in expected}, (name, model.__name__)


# A Brighton BCRP programme is listed to those taking part in the partnership (its member stores' staff and
# retailers, its managers), the PCC office of its force area and the operator; its enrolment of Northway
# Brighton is listed in full to its managers, the PCC office and the operator, and to the store's own staff
# and retailer as theirs.
PROGRAMME = {
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "partnership_manager",
    "pcc",
    "admin",
}
ENROLMENT = {"reporter", "manager", "security", "partnership_manager", "pcc", "admin"}


@pytest.mark.parametrize("name", EVERYONE)
def test_a_partnerships_programme_and_its_enrolments(world: World, name: str) -> None:
    from shopwatch.assessments.models import Enrolment, Programme
    from shopwatch.assessments.selectors import enrolment_list, programme_list

    partnership, store = world.orgs["brighton-bcrp"], world.stores["nw-brighton"]
    programme = Programme.objects.create(
        title="Shop security training",
        kind="training",
        funder=partnership,
        partnership=partnership,
        places=10,
        eligibility="Member stores",
        starts_on=dt.date(2026, 1, 5),
    )
    enrolment = Enrolment.objects.create(programme=programme, organisation=store.retailer, store=store)
    viewer = world.viewer(name)
    listed = {f.programme.pk for f in programme_list(viewer=viewer)}
    assert listed == ({programme.pk} if name in PROGRAMME else set()), name
    if name in PROGRAMME:
        assert enrolment_list(viewer=viewer, programme=programme) == (
            [enrolment] if name in ENROLMENT else []
        ), name


@pytest.mark.parametrize("name", EVERYONE)
def test_a_navigator_organisations_cases(world: World, name: str) -> None:
    """Special category data: only the navigators of the organisation holding the case read it (not the
    partnership that keeps the person, not police, not PCC scrutiny, not the platform operator)."""
    from shopwatch.navigator.models import NavigatorCase
    from shopwatch.navigator.selectors import case_queryset

    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        given_name="Kyle",
        family_name="Marsh",
    )
    case = NavigatorCase.objects.create(
        organisation=world.orgs["navigators"],
        force=world.orgs["sussex"],
        person=person,
        source="police",
        referred_by="PC Smith, Sussex Police",
        reason="Repeat thefts",
    )
    seen = set(case_queryset(world.viewer(name)).values_list("pk", flat=True))
    assert seen == ({case.pk} if name == "navigator" else set()), name


# A face search made by a Sussex investigator is opened by its maker, by those who may search faces for the
# same force (its supervisor; not its analyst, who may not search) and by the operator; a Thames Valley search
# likewise. No partnership in the world has switched face search on.
FACE_SEARCHES = nobody_but(
    police_sussex={"sussex"},
    supervisor_sussex={"sussex"},
    police_tv={"thames-valley"},
    admin={"sussex", "thames-valley"},
)


@pytest.mark.parametrize("name", EVERYONE)
def test_a_forces_face_searches(world: World, name: str, tmp_path: Path, settings: Any) -> None:
    import io

    from shopwatch.evidence.services import evidence_add
    from shopwatch.faces.models import FaceSearch
    from shopwatch.faces.selectors import search_queryset
    from tests.evidence.images import jpeg_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    searches = {}
    for force, (searcher, store) in {
        "sussex": ("police_sussex", "nw-brighton"),
        "thames-valley": ("police_tv", "nw-oxford"),
    }.items():
        incident = world.report("security", store, report_to_police=True)
        still = evidence_add(
            viewer=world.viewer("security"),
            incident=incident,
            fileobj=io.BytesIO(jpeg_bytes((10, 120, 10))),
            filename="still.jpg",
        )
        searches[force] = FaceSearch.objects.create(
            searched_by=world.users[searcher],
            organisation=world.orgs[force],
            probe=still,
            purpose="Theft",
            threshold=0.6,
        )
    seen = set(search_queryset(world.viewer(name)).values_list("pk", flat=True))
    assert seen == {searches[f].pk for f in FACE_SEARCHES[name]}, name

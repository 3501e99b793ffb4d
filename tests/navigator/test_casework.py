"""Navigator casework: referral, consent, casework only after consent, and the special-category
separation in the permission-matrix style (selector, API, police's one shared fact, PCC aggregates)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.errors import Conflict, NotEntitled, ValidationFailed
from shopwatch.core.models import (
    TWO_FACTOR_ROLES,
    AuditEvent,
    Distribution,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from shopwatch.intelligence import selectors as intelligence_selectors
from shopwatch.navigator import selectors, services
from shopwatch.navigator.models import CaseNeed, CaseStatus, NavigatorCase
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_erase
from tests.core.support import sign_in_verified
from tests.world import World

EVERYONE_ELSE = [
    "reporter",
    "manager",
    "security",
    "partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "police_tv",
    "pcc",
    "admin",
]


def _person(world: World) -> Person:
    return Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        distribution=Distribution.POLICE,  # police may see the person (the engagement fact needs that too)
        given_name="Lee",
        family_name="Marsh",
    )


def _case(world: World, *, consent: bool = True, days_ago: int = 200) -> NavigatorCase:
    person = _person(world)
    case = services.case_refer(
        viewer=world.viewer("navigator"),
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="police",
        referred_by="PC Khan, Sussex Police",
        reason="Prolific shoplifting to fund drug use",
        referred_at=timezone.localdate() - dt.timedelta(days=days_ago),
    )
    if consent:
        services.case_consent_record(
            viewer=world.viewer("navigator"),
            case_id=case.pk,
            consent="given",
            on=timezone.localdate() - dt.timedelta(days=days_ago - 5),
        )
        services.need_add(
            viewer=world.viewer("navigator"), case_id=case.pk, area="substance_misuse", detail="Heroin"
        )
    return NavigatorCase.objects.get(pk=case.pk)


def test_nothing_beyond_the_referral_before_consent(world: World) -> None:
    case = _case(world, consent=False)
    nav = world.viewer("navigator")
    with pytest.raises(Conflict):
        services.need_add(viewer=nav, case_id=case.pk, area="housing")
    with pytest.raises(Conflict):
        services.case_share_with_police(viewer=nav, case_id=case.pk, share=True)
    detail = selectors.case_detail(viewer=nav, case_id=case.pk)
    assert detail.needs == []
    services.case_consent_record(viewer=nav, case_id=case.pk, consent="given", on=timezone.localdate())
    services.need_add(viewer=nav, case_id=case.pk, area="housing", detail="Sofa-surfing")
    assert [n.area for n in selectors.case_detail(viewer=nav, case_id=case.pk).needs] == ["housing"]
    # Withdrawn consent hides the casework again and closes the case.
    services.case_consent_record(viewer=nav, case_id=case.pk, consent="withdrawn", on=timezone.localdate())
    after = selectors.case_detail(viewer=nav, case_id=case.pk)
    assert after.needs == []
    assert after.case.status == CaseStatus.CLOSED


def test_consent_and_referral_are_validated_field_by_field(world: World) -> None:
    nav = world.viewer("navigator")
    with pytest.raises(ValidationFailed) as err:
        services.case_refer(
            viewer=nav,
            organisation_id=world.orgs["navigators"].pk,
            person_id=_person(world).pk,
            force_id=world.orgs["brighton-bcrp"].pk,
            source="gossip",
            referred_by="",
            reason="x",
            referred_at=timezone.localdate() + dt.timedelta(days=1),
        )
    assert {e.field for e in err.value.errors} == {"source", "referred_by", "referred_at", "force"}
    case = _case(world, consent=False)
    with pytest.raises(ValidationFailed) as err:
        services.case_consent_record(
            viewer=nav, case_id=case.pk, consent="withdrawn", on=timezone.localdate()
        )
    assert [e.field for e in err.value.errors] == ["consent"]


@pytest.mark.parametrize("name", EVERYONE_ELSE)
def test_only_the_navigator_organisation_reads_or_writes_a_case(world: World, name: str) -> None:
    case = _case(world)
    viewer = world.viewer(name)
    assert selectors.case_list(viewer=viewer) == ([], None)
    with pytest.raises(Http404):
        selectors.case_detail(viewer=viewer, case_id=case.pk)
    with pytest.raises(Http404):
        services.need_add(viewer=viewer, case_id=case.pk, area="housing")
    with pytest.raises(NotEntitled):
        services.case_refer(
            viewer=viewer,
            organisation_id=world.orgs["navigators"].pk,
            person_id=case.person_id,
            force_id=world.orgs["sussex"].pk,
            source="police",
            referred_by="Someone",
            reason="Reason",
        )
    user = User.objects.get(pk=world.users[name].pk)
    key = apikey_create(viewer=viewer, user=user, name="check")
    client = Client()
    auth = {"Authorization": f"Bearer {key.secret}"}
    assert client.get("/api/v1/navigator/cases", headers=auth).json() == {"items": [], "next": None}
    r = client.get(f"/api/v1/navigator/cases/{case.pk}", headers=auth)
    assert r.status_code == 404
    assert b"Heroin" not in r.content
    assert b"substance" not in r.content


def test_the_navigator_reads_the_case_and_every_read_is_audited(world: World) -> None:
    case = _case(world)
    nav = world.viewer("navigator")
    rows, _ = selectors.case_list(viewer=nav)
    assert [c.pk for c in rows] == [case.pk]
    detail = selectors.case_detail(viewer=nav, case_id=case.pk)
    assert [n.detail for n in detail.needs] == ["Heroin"]
    assert AuditEvent.objects.filter(object_type="navigator_case", action="list").exists()
    assert AuditEvent.objects.filter(
        object_type="navigator_case", object_id=str(case.pk), action="view"
    ).exists()


def test_police_learn_only_that_the_person_is_engaged_when_the_navigator_shares_it(world: World) -> None:
    case = _case(world)
    police = world.viewer("police_sussex")
    assert not selectors.engaged_for_police(viewer=police, person_id=case.person_id)
    services.case_share_with_police(viewer=world.viewer("navigator"), case_id=case.pk, share=True)
    assert selectors.engaged_for_police(viewer=police, person_id=case.person_id)
    # Not another force, not a store, not the PCC; and not police who may not see the person.
    for other in ("police_tv", "reporter", "security", "partnership_manager", "pcc"):
        assert not selectors.engaged_for_police(viewer=world.viewer(other), person_id=case.person_id), other
    hidden = _case(world)
    Person.objects.filter(pk=hidden.person_id).update(distribution=Distribution.PARTNERSHIP)
    services.case_share_with_police(viewer=world.viewer("navigator"), case_id=hidden.pk, share=True)
    assert not selectors.engaged_for_police(viewer=police, person_id=hidden.person_id)
    # Closing the case stops it.
    services.case_close(
        viewer=world.viewer("navigator"), case_id=case.pk, reason="Moved away", on=timezone.localdate()
    )
    assert not selectors.engaged_for_police(viewer=police, person_id=case.person_id)


def test_offending_before_and_after_engagement(world: World) -> None:
    case = _case(world, days_ago=200)
    assert case.engaged_at is not None
    engaged = timezone.make_aware(dt.datetime.combine(case.engaged_at, dt.time(12)))
    for days in (-150, -90, -20, 30):
        world.report(
            "reporter",
            "nw-brighton",
            occurred_at=engaged + dt.timedelta(days=days),
            offenders=[OffenderInput(person_id=case.person_id)],
        )
    figures = selectors.before_after(case, months=6)
    assert figures is not None
    assert (figures.before, figures.after) == (3, 1)


def test_pcc_outcomes_are_aggregates_with_small_counts_suppressed(world: World) -> None:
    pcc = world.viewer("pcc")
    for _ in range(3):
        _case(world, days_ago=250)
    few = selectors.pcc_outcomes(viewer=pcc, months=6)
    assert few.people is None  # 3 people: suppressed
    for _ in range(2):
        _case(world, days_ago=250)
    enough = selectors.pcc_outcomes(viewer=pcc, months=6)
    assert enough.people == 5
    assert enough.before is None  # no incidents: 0 is under 5 and suppressed too
    for name in ("navigator", "reporter", "police_sussex", "partnership_manager"):
        with pytest.raises(Http404):
            selectors.pcc_outcomes(viewer=world.viewer(name), months=6)


# --- Subject access and erasure --------------------------------------------------------------------------


def _signed_in(world: World, name: str) -> Client:
    client = Client()
    user = world.users[name]
    if Membership.objects.filter(user=user, role__in=TWO_FACTOR_ROLES).exists():
        sign_in_verified(client, user)
    else:
        client.force_login(user)
    return client


def _files(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _other_navigator(world: World) -> str:
    org = Organisation.objects.create(
        kind=OrganisationKind.SUPPORT_PROVIDER, slug="other-trust", name="Other Trust"
    )
    user = User.objects.create(email="other-navigator@example.org", full_name="Other Navigator")
    Membership.objects.create(user=user, organisation=org, role=Role.NAVIGATOR)
    world.users["other_navigator"] = user
    return "other_navigator"


def test_the_navigator_organisation_answers_subject_access_with_its_case(world: World) -> None:
    case = _case(world)
    services.contact_add(
        viewer=world.viewer("navigator"),
        case_id=case.pk,
        kind="session",
        on=timezone.localdate(),
        note="Met at the hostel",
    )
    archive = intelligence_selectors.subject_access_archive(
        viewer=world.viewer("navigator"), person=case.person
    )
    files = _files(archive)
    assert set(files) == {"person.json", "navigator_cases.json", "audit.json", "README.txt"}
    (held,) = json.loads(files["navigator_cases.json"])
    assert held["reason"] == "Prolific shoplifting to fund drug use"
    assert held["needs"][0]["detail"] == "Heroin"
    assert held["contacts"][0]["note"] == "Met at the hostel"
    assert json.loads(files["person.json"])["family_name"] == "Marsh"
    # Nothing the partnership holds (incidents, gallery, intelligence) is in the navigator's answer.
    assert "incidents.json" not in files
    assert AuditEvent.objects.filter(
        object_type="navigator_case", object_id=str(case.pk), action="export"
    ).exists()
    page = _signed_in(world, "navigator").get(f"/navigator/{case.pk}/subject-access.zip")
    assert page.status_code == 200
    assert "navigator_cases.json" in _files(page.content)


@pytest.mark.parametrize("name", [*EVERYONE_ELSE, "other_navigator"])
def test_subject_access_never_carries_a_case_to_anyone_else(world: World, name: str) -> None:
    if name == "other_navigator":
        _other_navigator(world)
    case = _case(world)
    viewer = world.viewer(name)
    assert selectors.subject_access_archive(viewer=viewer, person_id=case.person_id) is None
    try:
        archive = intelligence_selectors.subject_access_archive(viewer=viewer, person=case.person)
    except NotEntitled:
        archive = None
    if archive is not None:  # the partnership's own answer: never the casework
        for content in _files(archive).values():
            assert b"navigator" not in content.lower()
            assert b"Heroin" not in content
            assert b"Prolific shoplifting" not in content
    page = _signed_in(world, name).get(f"/navigator/{case.pk}/subject-access.zip")
    assert page.status_code == 404
    assert b"Heroin" not in page.content


def test_erasing_the_person_removes_their_case_and_its_casework(world: World) -> None:
    case = _case(world)
    person_erase(viewer=world.viewer("partnership_manager"), person=case.person, reason="Erasure request")
    assert not NavigatorCase.objects.filter(pk=case.pk).exists()
    assert not CaseNeed.objects.filter(case_id=case.pk).exists()
    assert selectors.case_list(viewer=world.viewer("navigator")) == ([], None)

"""Referrals made from the pages: police and the keeping partnership's managers refer a person from the
person's page; a navigator records a person met through outreach, whose record nobody else sees."""

from __future__ import annotations

import pytest
from django.test import Client

from shopwatch.core.errors import Conflict, ValidationFailed
from shopwatch.core.models import AuditEvent, Distribution
from shopwatch.navigator import services
from shopwatch.navigator.models import NavigatorCase
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput, incident_send_to_police
from shopwatch.subjects.models import Person
from shopwatch.subjects.selectors import person_queryset
from tests.core.support import sign_in_verified
from tests.world import World

REFER = "Refer to a diversion programme"


def _client(world: World, name: str) -> Client:
    client = Client()
    sign_in_verified(client, world.users[name])
    return client


def _person(world: World) -> Person:
    return Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        distribution=Distribution.POLICE,
        given_name="Lee",
        family_name="Marsh",
    )


def _incident(world: World, person: Person) -> Incident:
    """An incident naming the person, sent to the police (so police see it too)."""
    incident = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    return incident_send_to_police(viewer=world.viewer("reporter"), incident=incident)


@pytest.mark.parametrize("name", ["police_sussex", "partnership_manager"])
def test_a_referrer_refers_from_the_person_page_and_the_navigator_sees_only_the_referral(
    world: World, name: str
) -> None:
    person = _person(world)
    incident = _incident(world, person)
    other = _incident(world, _person(world))
    web = _client(world, name)
    page = web.get(f"/people/{person.pk}/").content.decode()
    assert REFER in page
    form = web.get(f"/navigator/refer/{person.pk}/").content.decode()
    assert world.orgs["navigators"].name in form
    assert incident.reference in form
    assert other.reference not in form  # only incidents naming the person are offered
    trust = world.orgs["navigators"].pk
    # Inline errors: no reason given.
    bad = web.post(f"/navigator/refer/{person.pk}/", {"organisation": trust, "reason": ""})
    assert bad.status_code == 200
    assert "error-message" in bad.content.decode()
    assert not NavigatorCase.objects.exists()
    r = web.post(
        f"/navigator/refer/{person.pk}/",
        {"organisation": trust, "reason": "Steals to fund heroin use", "incidents": [incident.pk]},
    )
    assert r.status_code == 302
    case = NavigatorCase.objects.get(person=person)
    assert case.source == ("police" if name == "police_sussex" else "partnership")
    assert case.force_id == world.orgs["sussex"].pk
    assert list(case.prompting_incidents.all()) == [incident]
    assert case.navigator_id is None
    assert AuditEvent.objects.filter(
        object_type="navigator_case", object_id=str(case.pk), action="create", actor=world.users[name]
    ).exists()
    # The referrer reads nothing of the case afterwards.
    assert web.get(f"/navigator/{case.pk}/").status_code == 404
    nav = _client(world, "navigator")
    assert "Lee Marsh" in nav.get("/navigator/").content.decode()
    detail = nav.get(f"/navigator/{case.pk}/").content.decode()
    assert "Nothing beyond the referral" in detail
    # A second open referral to the same programme is refused.
    with pytest.raises(Conflict):
        services.case_refer_from_person(
            viewer=world.viewer(name), person_id=person.pk, organisation_id=trust, reason="Again"
        )


def test_a_prompting_incident_must_be_one_the_referrer_sees_naming_the_person(world: World) -> None:
    person = _person(world)
    other = _incident(world, _person(world))
    with pytest.raises(ValidationFailed) as caught:
        services.case_refer_from_person(
            viewer=world.viewer("police_sussex"),
            person_id=person.pk,
            organisation_id=world.orgs["navigators"].pk,
            reason="Repeat thefts",
            incident_ids=[other.pk],
        )
    assert [e.field for e in caught.value.errors] == ["incidents"]
    with pytest.raises(ValidationFailed) as caught:
        services.case_refer_from_person(
            viewer=world.viewer("police_sussex"),
            person_id=person.pk,
            organisation_id=world.orgs["brighton-bcrp"].pk,  # not a diversion programme
            reason="Repeat thefts",
        )
    assert [e.field for e in caught.value.errors] == ["organisation"]


@pytest.mark.parametrize("name", ["reporter", "manager", "security", "analyst_sussex", "navigator", "pcc"])
def test_others_never_see_the_action_and_get_the_same_404(world: World, name: str) -> None:
    person = _person(world)
    web = _client(world, name)
    page = web.get(f"/people/{person.pk}/")
    assert REFER not in page.content.decode()
    assert web.get(f"/navigator/refer/{person.pk}/").status_code == 404
    r = web.post(
        f"/navigator/refer/{person.pk}/", {"organisation": world.orgs["navigators"].pk, "reason": "x"}
    )
    assert r.status_code == 404
    assert not NavigatorCase.objects.exists()


def test_outreach_creates_a_person_only_the_navigator_organisation_sees(world: World) -> None:
    nav = _client(world, "navigator")
    assert "New referral (outreach)" in nav.get("/navigator/").content.decode()
    bad = nav.post(
        "/navigator/outreach/",
        {"given_name": "", "family_name": "Doyle", "force": world.orgs["sussex"].pk, "reason": "Hungry"},
    )
    assert bad.status_code == 200
    assert "error-message" in bad.content.decode()
    assert not Person.objects.filter(family_name="Doyle").exists()
    r = nav.post(
        "/navigator/outreach/",
        {
            "given_name": "Sam",
            "family_name": "Doyle",
            "date_of_birth": "1990-04-02",
            "force": world.orgs["sussex"].pk,
            "reason": "Met at the night shelter; shoplifts food",
        },
    )
    assert r.status_code == 302
    case = NavigatorCase.objects.get(person__family_name="Doyle")
    assert r["Location"] == f"/navigator/{case.pk}/"
    person = case.person
    assert person.owner_org_id == world.orgs["navigators"].pk
    assert person.partnership_id is None
    assert person.distribution == Distribution.ORGANISATION
    assert case.source == "outreach"
    assert AuditEvent.objects.filter(object_type="person", object_id=str(person.pk), action="create").exists()
    assert AuditEvent.objects.filter(object_type="navigator_case", object_id=str(case.pk)).exists()
    for name in [
        "reporter",
        "manager",
        "security",
        "partnership_manager",
        "police_sussex",
        "supervisor_sussex",
        "analyst_sussex",
        "police_tv",
        "pcc",
    ]:
        assert not person_queryset(world.viewer(name)).filter(pk=person.pk).exists(), name
        assert _client(world, name).get(f"/people/{person.pk}/").status_code == 404, name


def test_outreach_is_for_navigators_only(world: World) -> None:
    for name in ["reporter", "police_sussex", "partnership_manager", "pcc"]:
        assert _client(world, name).get("/navigator/outreach/").status_code == 404

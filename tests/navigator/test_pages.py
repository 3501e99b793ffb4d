"""The navigator's caseload and case pages; nobody else sees a case page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.navigator import services
from shopwatch.subjects.models import Person
from tests.world import World


def _client(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def test_caseload_and_case_pages_with_consent_recorded_on_the_page(world: World) -> None:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"], given_name="Jade", family_name="Rowe"
    )
    case = services.case_refer(
        viewer=world.viewer("navigator"),
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="outreach",
        referred_by="Nia Evans, Navigator Trust",
        reason="Shoplifting food; homeless",
        referred_at=timezone.localdate() - dt.timedelta(days=3),
    )
    nav = _client(world, "navigator")
    page = nav.get("/navigator/")
    assert page.status_code == 200
    assert b"Jade Rowe" in page.content
    detail = nav.get(f"/navigator/{case.pk}/")
    assert b"Nothing beyond the referral" in detail.content
    r = nav.post(
        f"/navigator/{case.pk}/",
        {"action": "consent", "consent": "given", "on": timezone.localdate().isoformat()},
    )
    assert r.status_code == 302
    nav.post(f"/navigator/{case.pk}/", {"action": "need", "area": "housing", "detail": "Rough sleeping"})
    nav.post(
        f"/navigator/{case.pk}/", {"action": "onward", "service": "Brighton Housing Trust", "area": "housing"}
    )
    updated = nav.get(f"/navigator/{case.pk}/").content
    assert b"Rough sleeping" in updated
    assert b"Brighton Housing Trust" in updated


@pytest.mark.parametrize("name", ["reporter", "manager", "security", "pcc"])
def test_others_get_no_case_page(world: World, name: str) -> None:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"], given_name="Jade", family_name="Rowe"
    )
    case = services.case_refer(
        viewer=world.viewer("navigator"),
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="outreach",
        referred_by="Nia Evans",
        reason="Shoplifting",
    )
    client = _client(world, name)
    assert client.get(f"/navigator/{case.pk}/").status_code == 404
    assert b"Jade" not in client.get("/navigator/").content

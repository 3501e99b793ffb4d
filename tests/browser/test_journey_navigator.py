"""A navigator's day, at desktop size, by clicking from the first page (the caseload): open a new referral
and record the person's consent; record a session and refer them on to a housing service, then record that
service's outcome; close a case whose person has stopped offending and look at the retention of closed
cases; record a person met through outreach. A police officer refers a person to the programme from the
person's page, picking the programme and the incident that prompted it from lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shopwatch.core.models import Distribution
from shopwatch.navigator import services
from shopwatch.navigator.models import CaseStatus, NavigatorCase, OnwardReferral
from shopwatch.reporting.services import OffenderInput, incident_send_to_police
from shopwatch.subjects.models import Person
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _refer(world: World, given: str, family: str, *, consent: bool, days_ago: int) -> NavigatorCase:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        distribution=Distribution.POLICE,
        given_name=given,
        family_name=family,
    )
    nav = world.viewer("navigator")
    case = services.case_refer(
        viewer=nav,
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="police",
        referred_by="PC Khan, Sussex Police",
        reason="Twelve thefts in two months; sleeping rough",
        referred_at=timezone.localdate() - dt.timedelta(days=days_ago),
    )
    if consent:
        services.case_consent_record(
            viewer=nav,
            case_id=case.pk,
            consent="given",
            on=timezone.localdate() - dt.timedelta(days=days_ago - 2),
        )
    return case


def test_navigator_takes_a_referral_works_the_case_and_closes_another(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    new = _refer(world, "Kieran", "Doyle", consent=False, days_ago=2)
    engaged = _refer(world, "Dana", "Hale", consent=True, days_ago=300)
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "navigator", world)

    # The first page is the caseload.
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    check_page(page, console_errors)

    # 1. Open the new referral and record consent.
    page.get_by_role("link", name="Kieran Doyle").click()
    expect(page.get_by_text("Nothing beyond the referral")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Given").check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("Consent recorded: given.")).to_be_visible()
    check_page(page, console_errors)

    # 2. A session, an onward referral to a housing service, and its outcome.
    page.get_by_label("Kind").select_option("session")
    page.get_by_label("Note").fill("Met at the day centre; wants a hostel place")
    page.get_by_role("button", name="Record contact").click()
    expect(page.get_by_text("Contact recorded.")).to_be_visible()
    expect(page.get_by_text("Met at the day centre; wants a hostel place")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Service").fill("Brighton Housing Trust")
    page.locator("#onward-area").select_option("housing")
    page.get_by_role("button", name="Refer on").click()
    expect(page.get_by_text("Onward referral recorded.")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Outcome of the referral to Brighton Housing Trust").select_option("accepted")
    page.get_by_role("button", name="Record outcome of the referral to Brighton Housing Trust").click()
    expect(page.get_by_text("Outcome recorded.")).to_be_visible()
    expect(page.get_by_text("Brighton Housing Trust (Housing)")).to_contain_text("Accepted")
    check_page(page, console_errors)
    assert OnwardReferral.objects.get(case=new).outcome == "accepted"

    # 3. Back to the caseload: close the engaged case, then look at retention.
    page.get_by_role("link", name="Caseload").first.click()
    page.get_by_role("link", name="Dana Hale").click()
    expect(page.get_by_role("heading", name="Offending before and after engagement")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Reason").fill("Stopped offending; in work")
    page.get_by_role("button", name="Close case").click()
    expect(page.get_by_text("Case closed.")).to_be_visible()
    check_page(page, console_errors)
    assert NavigatorCase.objects.get(pk=engaged.pk).status == CaseStatus.CLOSED
    page.get_by_role("link", name="Caseload").first.click()
    expect(page.get_by_role("row", name="Dana Hale")).to_contain_text("Closed")
    page.get_by_role("link", name="Retention of closed cases").click()
    expect(page.get_by_role("heading", name="Retention of closed cases")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Delete closed cases this many months after closure").fill("18")
    page.get_by_role("button", name="Save retention").click()
    expect(page.get_by_text("Retention saved.")).to_be_visible()
    check_page(page, console_errors)


def test_navigator_records_a_person_met_through_outreach(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "navigator", world)
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    page.get_by_role("link", name="New referral (outreach)").click()
    expect(page.get_by_role("heading", name="New referral (outreach)")).to_be_visible()
    check_page(page, console_errors)
    # Without a given name the page says so beside the field.
    page.get_by_label("Family name").fill("Byrne")
    page.get_by_label("Reason for the referral").fill("Met at the night shelter; shoplifts food")
    page.get_by_role("button", name="Record the referral").click()
    expect(page.locator(".error-message").first).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Given name").fill("Rory")
    page.get_by_label("Police force area").select_option(label="Sussex Police")
    page.get_by_role("button", name="Record the referral").click()
    expect(page.get_by_text("Referral recorded.")).to_be_visible()
    expect(page.get_by_text("Nothing beyond the referral")).to_be_visible()
    check_page(page, console_errors)
    case = NavigatorCase.objects.get(person__family_name="Byrne")
    assert case.source == "outreach"
    assert case.person.owner_org_id == world.orgs["navigators"].pk


def test_police_refer_a_person_from_their_page(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        distribution=Distribution.POLICE,
        given_name="Kieran",
        family_name="Doyle",
    )
    incident = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    incident = incident_send_to_police(viewer=world.viewer("reporter"), incident=incident)
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "police_sussex", world)
    page.get_by_role("link", name="People").first.click()
    page.get_by_role("link", name="Kieran Doyle").first.click()
    expect(page.get_by_role("heading", name="Kieran Doyle")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("link", name="Refer to a diversion programme").click()
    expect(page.get_by_role("heading", name="Refer to a diversion programme")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Diversion programme").select_option(label=world.orgs["navigators"].name)
    page.get_by_label("Reason for the referral").fill("Steals to fund drug use; asked for help in custody")
    page.get_by_label(incident.reference).check()
    page.get_by_role("button", name="Send the referral").click()
    expect(page.get_by_text("Kieran Doyle was referred.")).to_be_visible()
    check_page(page, console_errors)
    case = NavigatorCase.objects.get(person=person)
    assert case.source == "police"
    assert list(case.prompting_incidents.all()) == [incident]

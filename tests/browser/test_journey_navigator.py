"""A navigator's day, at desktop size, by clicking from the first page (the caseload): open a new referral
and record the person's consent; record a session and refer them on to a housing service, then record that
service's outcome; close a case whose person has stopped offending and look at the retention of closed
cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shopwatch.core.models import Distribution
from shopwatch.navigator import services
from shopwatch.navigator.models import CaseStatus, NavigatorCase, OnwardReferral
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

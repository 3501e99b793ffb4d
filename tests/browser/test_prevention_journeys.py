"""Prevention journeys at phone size, checked with axe: the navigator works a case from referral through
consent to casework; a shop owner completes a self-assessment and opens the certificate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from shopwatch.assessments.services import question_sets_install
from shopwatch.navigator import services
from shopwatch.subjects.models import Person
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CspWatch
from tests.browser.test_report_journey import assert_fits_phone, sign_in
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_navigator_works_a_case_from_referral_to_casework(
    live_server: Any, world: World, new_phone_page: Callable[[], Page], csp_watch: CspWatch
) -> None:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"], given_name="Kieran", family_name="Doyle"
    )
    services.case_refer(
        viewer=world.viewer("navigator"),
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="police",
        referred_by="PC Khan, Sussex Police",
        reason="Twelve thefts in two months; sleeping rough",
        referred_at=timezone.localdate() - dt.timedelta(days=2),
    )
    page = new_phone_page()
    sign_in(page, live_server.url, "navigator")
    page.goto(f"{live_server.url}/navigator/")
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_role("link", name="Kieran Doyle").click()
    expect(page.get_by_text("Nothing beyond the referral")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Given").check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("Consent recorded: given.")).to_be_visible()
    page.get_by_label("Area", exact=True).first.select_option("housing")
    page.get_by_label("Detail").fill("Sleeping rough near the station")
    page.get_by_role("button", name="Add need").click()
    expect(page.get_by_text("Sleeping rough near the station")).to_be_visible()
    page.get_by_role("button", name="Tell police this person is engaged").click()
    expect(page.get_by_text("Police now see that this person is engaged.")).to_be_visible()
    assert_accessible(page)

    other = new_phone_page()
    sign_in(other, live_server.url, "reporter")
    other.goto(f"{live_server.url}/navigator/")
    expect(other.get_by_text("No cases.")).to_be_visible()
    assert not csp_watch.errors


def test_a_shop_owner_completes_a_self_assessment_on_a_phone(
    live_server: Any, world: World, new_phone_page: Callable[[], Page], csp_watch: CspWatch
) -> None:
    question_sets_install()
    page = new_phone_page()
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/assessments/")
    assert_accessible(page)
    page.get_by_role("link", name="Cyber security self-assessment").click()
    assert_accessible(page)
    assert_fits_phone(page)
    groups = page.locator("fieldset")
    for i in range(groups.count()):
        groups.nth(i).get_by_label("Yes", exact=True).check()
    page.locator("fieldset").filter(has_text="two-step verification").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="See my score").click()
    expect(page.get_by_role("heading", name="Cyber security self-assessment: 90%")).to_be_visible()
    expect(page.get_by_text("Switch on two-step verification")).to_be_visible()
    assert_accessible(page)
    assert_fits_phone(page)
    expect(page.get_by_role("link", name="Print your certificate (PDF)")).to_be_visible()
    assert not csp_watch.errors

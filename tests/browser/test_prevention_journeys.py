"""Prevention journeys checked with axe. At phone size: the navigator works a case from referral through
consent to casework; a shop owner completes a self-assessment and opens the certificate. At desktop size: a
partnership manager issues a marking kit and enrols a store on a programme; a police investigator looks up
a code read under UV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from shopwatch.assessments.models import Enrolment
from shopwatch.assessments.services import programme_create, question_sets_install
from shopwatch.marking.models import MarkingKit
from shopwatch.marking.services import deployment_record, kit_issue
from shopwatch.navigator import services
from shopwatch.subjects.models import Person
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CspWatch
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
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


def test_a_partnership_manager_issues_a_kit_and_enrols_a_store_on_a_programme(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    programme = programme_create(
        viewer=world.viewer("partnership_manager"),
        title="Cyber Resilience Membership",
        kind="cyber membership",
        funder_id=world.orgs["sussex-pcc"].pk,
        partnership_id=world.orgs["brighton-bcrp"].pk,
        places=300,
        eligibility="Small businesses in Brighton and Hove",
        starts_on=timezone.localdate(),
    )
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "partnership_manager", world)
    check_page(page, console_errors)
    menu = page.get_by_role("navigation", name="Main")

    # Issue a kit to a store picked from the partnership's stores.
    menu.get_by_role("link", name="Marking").click()
    expect(page.get_by_role("heading", name="Forensic marking")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("link", name="Issue a kit").click()
    check_page(page, console_errors)
    page.get_by_label("Issued to store").select_option(label="Corner Brighton")
    page.get_by_label("Product").select_option("selectadna")
    page.get_by_label("Kind of kit").select_option("spray")
    page.get_by_label("Batch").fill("B-2026-12")
    page.get_by_label("Unique code (or the first of a range)").fill("SDNA-050100")
    page.get_by_label("Last code of the range").fill("SDNA-050149")
    page.get_by_label("Held by").fill("Door security officer")
    page.get_by_role("button", name="Issue kit").click()
    expect(page.get_by_text("Kit SDNA-050100 to SDNA-050149 issued to Corner Brighton.")).to_be_visible()
    expect(page.get_by_role("cell", name="SDNA-050100 to SDNA-050149")).to_be_visible()
    check_page(page, console_errors)
    assert MarkingKit.objects.get(code="SDNA-050100").store == world.stores["corner-brighton"]

    # Enrol a store on the programme and record its first session.
    menu.get_by_role("link", name="Prevention").click()
    check_page(page, console_errors)
    page.get_by_role("link", name="Prevention programmes").click()
    expect(page.get_by_role("heading", name="Prevention programmes")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("link", name="Cyber Resilience Membership").click()
    check_page(page, console_errors)
    page.get_by_label("Business to enrol").select_option(label="Corner Brighton")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_text("Corner Brighton enrolled.")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("link", name="Record attendance for Corner Brighton").click()
    check_page(page, console_errors)
    page.get_by_label("Sessions attended").fill("1")
    page.get_by_role("button", name="Record attendance").click()
    expect(page.get_by_text("Attendance recorded.")).to_be_visible()
    expect(page.get_by_role("row", name="Corner Brighton")).to_contain_text("Attending")
    check_page(page, console_errors)
    assert Enrolment.objects.get(programme=programme).sessions_attended == 1


def test_a_police_investigator_looks_up_a_code_read_under_uv(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    kit = kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        kind="spray",
        batch="W-77",
        code="SW-4410",
    )
    incident = world.report(
        "reporter", "nw-brighton", report_to_police=True, description="Sprayed at the door"
    )
    deployment_record(
        viewer=world.viewer("manager"),
        kit_id=kit.pk,
        incident_id=incident.pk,
        deployed_by="Door officer",
        deployed_at=timezone.now() - dt.timedelta(minutes=30),
        where="Front door",
        target="person",
    )
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "police_sussex", world)
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Marking").click()
    expect(page.get_by_role("heading", name="Forensic marking")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Code read under UV").fill("sw-4410")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name="SW-4410")).to_be_visible()
    expect(page.get_by_text("Contact: Northway Foods")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("link", name=incident.reference).click()
    expect(page.get_by_role("heading", name=incident.reference)).to_be_visible()
    check_page(page, console_errors)
    page.go_back()
    # A code nobody registered (or one held out of reach) answers the same not-found page.
    page.get_by_label("Code read under UV").fill("SW-9999")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    # The page itself answers 404, which the browser reports on its console; nothing else may.
    console_errors.errors[:] = [e for e in console_errors.errors if "status of 404" not in e]
    check_page(page, console_errors)


def test_a_store_manager_logs_a_kit_use_shows_signage_and_enrols_on_a_phone(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    kit = kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        kind="spray",
        batch="W-12",
        code="SW-6610",
    )
    incident = world.report("reporter", "nw-brighton", description="Took six bottles of spirits")
    programme = programme_create(
        viewer=world.viewer("partnership_manager"),
        title="Shop security review",
        kind="security review",
        funder_id=world.orgs["sussex-pcc"].pk,
        partnership_id=world.orgs["brighton-bcrp"].pk,
        places=40,
        eligibility="Shops in Brighton and Hove",
        starts_on=timezone.localdate(),
    )
    page = open_browser("phone")
    sign_in_as(page, live_server.url, "manager", world)
    check_page(page, console_errors)

    # From the incident's page: log the spray's use, the incident already chosen.
    page.get_by_role("link", name=incident.reference).first.click()
    expect(page.get_by_role("heading", name="Forensic marking")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("link", name="Log a use of SW-6610").click()
    check_page(page, console_errors)
    page.get_by_label("Used by").fill("Duty manager")
    page.get_by_label("Where").fill("Front door")
    page.get_by_label("A person").check()
    page.get_by_label("On whom or what").fill("Blue coat, right sleeve")
    page.get_by_role("button", name="Log use").click()
    expect(page.get_by_text(f"Use of SW-6610 logged in {incident.reference}.")).to_be_visible()
    check_page(page, console_errors)
    assert kit.deployments.get().incident_id == incident.pk

    # Signage on, from the marking page.
    page.get_by_role("link", name="Marking signage").click()
    check_page(page, console_errors)
    page.get_by_label("Product on the signage").select_option("smartwater")
    page.get_by_role("button", name="Signage displayed at Nw Brighton").click()
    expect(page.get_by_text("Signage shown.")).to_be_visible()
    check_page(page, console_errors)

    # Enrol the store on a programme open to it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Prevention").click()
    page.get_by_role("link", name="Prevention programmes").click()
    page.get_by_role("link", name="Shop security review").click()
    check_page(page, console_errors)
    page.get_by_label("Business to enrol").select_option(label="Nw Brighton")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_text("Nw Brighton enrolled.")).to_be_visible()
    check_page(page, console_errors)
    assert Enrolment.objects.filter(programme=programme, store=world.stores["nw-brighton"]).exists()

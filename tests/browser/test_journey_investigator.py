"""A police investigator's day, at desktop size, by clicking from the first page: triage the most urgent
incident and take it, find it in My cases, ask the store for CCTV; then accept another and record its crime
reference."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shopwatch.policing.models import CrimeRecord, Triage
from shopwatch.reporting.models import Incident
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = pytest.mark.browser


def _age(incident: Incident, hours: float) -> None:
    when = timezone.now() - dt.timedelta(hours=hours)
    Incident.objects.filter(pk=incident.pk).update(
        created_at=when, occurred_at=when - dt.timedelta(minutes=5), sent_to_police_at=when
    )


def test_investigator_triages_takes_finds_and_asks_for_cctv(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    old = world.report(
        "reporter",
        "nw-brighton",
        report_to_police=True,
        type="violence",
        flags=["violence"],
        description="Pushed a colleague last month",
    )
    _age(old, 24 * 30)
    urgent = world.report(
        "reporter",
        "nw-brighton",
        report_to_police=True,
        type="violence",
        flags=["violence", "offender_nearby"],
        description="Threatening staff, still by the tills",
    )
    theft = world.report(
        "reporter", "nw-brighton", report_to_police=True, description="Took razor blades", goods_value="45.00"
    )
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "police_sussex", world)

    # The first page is the triage queue, the urgent one first, the month-old P1 flagged overdue.
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    rows = page.locator(".queue-list > li")
    expect(rows.first).to_contain_text(urgent.reference)
    expect(rows.filter(has_text=old.reference)).to_contain_text("Overdue")
    check_page(page, console_errors)

    rows.first.get_by_role("link", name=urgent.reference).click()
    expect(page.get_by_role("heading", name=urgent.reference)).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("button", name="Take it myself").click()
    expect(page.get_by_text("You have taken this incident.")).to_be_visible()
    check_page(page, console_errors)

    # It is in My cases, with what to do next.
    page.get_by_role("navigation", name="Police business crime team").get_by_role(
        "link", name="My cases"
    ).click()
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    mine = page.locator(".queue-list > li").filter(has_text=urgent.reference)
    expect(mine).to_contain_text("Attend the store")
    check_page(page, console_errors)

    # Ask the store for CCTV: the single-use link is shown once, and the store is told.
    mine.get_by_role("link", name=urgent.reference).click()
    page.get_by_label("Ask the store for CCTV").check()
    page.get_by_label("Reason or what you need").fill("Camera over the tills, 14:00 to 14:30, and a still")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("single-use link for the footage")).to_be_visible()
    assert Triage.objects.get(incident=urgent).state == "info_requested"
    check_page(page, console_errors)

    # Back to the queue: accept the theft and record its crime reference.
    page.get_by_role("navigation", name="Police business crime team").get_by_role(
        "link", name="Queue"
    ).click()
    page.get_by_role("link", name=theft.reference, exact=True).click()
    page.get_by_label("Accept and record as a crime").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    check_page(page, console_errors)
    record = page.get_by_role("region", name="Crime reference and status")
    record.get_by_role("textbox", name="Crime reference number").fill("47/221/26")
    record.get_by_label("Status").select_option(label="Crime recorded")
    record.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Crime record updated")).to_be_visible()
    assert CrimeRecord.objects.get(incident=theft).crime_reference == "47/221/26"
    check_page(page, console_errors)
    page.get_by_role("navigation", name="Police business crime team").get_by_role(
        "link", name="My cases"
    ).click()
    expect(page.locator(".queue-list > li").filter(has_text=theft.reference)).to_contain_text(
        "Record the outcome"
    )
    check_page(page, console_errors)

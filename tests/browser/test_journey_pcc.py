"""A PCC office's three most common tasks, at desktop size, by clicking from its first page (its dashboards):
read the force area's dashboard with its map (tiles out of reach, so the shipped outlines show), legend and
prevention panels; change the period and compare with the one before; take the PDF report to a meeting and
answer a retailer's accountability question. Every page is checked with axe and for console errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shopwatch.insights.models import AccountabilityQuestion
from shopwatch.insights.services import accountability_question_submit
from shopwatch.marking.services import signage_set
from tests.browser.journeys import ConsoleErrors, Opener, block_origin, check_page, sign_in_as
from tests.printing import printed_pages
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pcc_reads_the_dashboard_compares_periods_exports_and_answers(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    now = timezone.now()
    for i in range(30):
        store = ["nw-brighton", "corner-brighton", "kiosk-crawley"][i % 3]
        user = {
            "nw-brighton": "reporter",
            "corner-brighton": "same_partnership_reporter",
            "kiosk-crawley": "connected_reporter",
        }[store]
        world.report(user, store, occurred_at=now - dt.timedelta(days=i * 3 + 1, hours=i % 9))
    signage_set(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        displayed=True,
    )
    accountability_question_submit(
        viewer=world.viewer("partnership_manager"),
        text="What is the force doing about repeat thefts in Brighton's shopping centre?",
    )
    page = open_browser("desktop")
    block_origin(page, console_errors, "https://tile.openstreetmap.org")
    sign_in_as(page, live_server.url, "pcc", world)
    expect(page.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
    check_page(page, console_errors)

    # 1. The force area's dashboard: the map over the shipped outlines, its legend, names and table.
    page.get_by_role("link", name="Sussex PCC (force area)").click()
    expect(page.get_by_role("heading", name="Sussex PCC (force area)", level=1)).to_be_visible()
    expect(page.locator("#hotspot-map-status")).to_have_text(
        "Map tiles could not be loaded: the map shows force and district outlines only."
    )
    assert page.locator("#hotspot-map .leaflet-tile-pane img").count() == 0
    overlay = page.locator("#hotspot-map .leaflet-overlay-pane path")
    assert overlay.count() >= 4  # the force outline, its districts and the hexagons over them
    expect(page.locator("#hotspot-map .map-label-force")).to_have_text("Sussex Police")
    expect(page.locator("#hotspot-map .map-label", has_text="Brighton and Hove")).to_be_visible()
    expect(page.get_by_role("heading", name="Map legend")).to_be_visible()
    expect(page.locator(".map-legend")).to_contain_text("Police force area")
    # The stores displaying marking signage are a layer of their own, with their legend entry.
    expect(page.locator(".map-legend")).to_contain_text("Store displaying forensic-marking signage")
    assert page.locator("#hotspot-map path.leaflet-interactive[fill='#1d70b8']").count() == 1
    page.get_by_text("Hotspots as a table").click()
    expect(page.get_by_role("cell", name="Brighton and Hove").first).to_be_visible()
    expect(page.get_by_role("heading", name="Does diversion work?", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="Forensic marking in use")).to_be_visible()
    check_page(page, console_errors)

    # 2. A shorter period, compared with the same length before it.
    page.get_by_role("link", name="Last 3 months").click()
    expect(page.get_by_text("compared with the 91 days before")).to_be_visible()
    quick = page.get_by_role("navigation", name="Quick periods")
    expect(quick.get_by_text("Last 3 months")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Incidents: no earlier figures to compare")).to_be_visible()
    check_page(page, console_errors)

    # 3. The PDF report for the meeting, charts and all; then answer a member's question.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF report").click()
    path = download.value.path()
    pages = printed_pages(path.read_bytes())
    text = " ".join(p.text for p in pages)
    assert "ShopWatch: Sussex PCC (force area)" in text
    assert "Chart: Incidents by month" in text
    assert "Chart: Navigator: incidents before and since engagement" in text
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    page.get_by_role("link", name="Questions for the Police and Crime Commissioner's public meeting").click()
    expect(page.get_by_text("What is the force doing about repeat thefts")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Status").select_option("selected")
    page.get_by_label("Answer (optional)").fill("On the agenda for the January meeting.")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("Question updated.")).to_be_visible()
    check_page(page, console_errors)
    question = AccountabilityQuestion.objects.get()
    assert question.status == "selected"
    assert question.answer == "On the agenda for the January meeting."

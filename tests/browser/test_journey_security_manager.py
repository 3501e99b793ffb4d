"""A retail security manager on a phone: from the estate (their first page) to a store's latest incident, an
alert at one of their stores, and a store role a partnership manager proposed, confirmed. Every page by
clicking, each checked with axe-core, no console errors and nothing scrolling sideways."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from shopwatch.alerts.services import alert_raise
from shopwatch.core.models import Membership, Role
from shopwatch.core.services import membership_add
from shopwatch.policing.services.triage import triage_request_cctv
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_security_manager_works_from_the_estate(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    world.report("reporter", "nw-brighton", description="Took four bottles of gin")
    world.report("other_store_reporter", "nw-hove", description="Razor blades from the aisle")
    asked = world.report("reporter", "nw-brighton", report_to_police=True, description="Crate of spirits")
    triage_request_cctv(
        viewer=world.viewer("police_sussex"), incident=asked, reason="Entrance camera 14:00-14:30"
    )
    alert_raise(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        message="Two men with a holdall heading towards Western Road",
    )
    membership_add(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        store_id=world.stores["nw-hove"].pk,
        email="new.colleague@example.org",
        full_name="New Colleague",
        role=Role.STORE_REPORTER,
    )

    page = open_browser("phone")
    sign_in_as(page, live_server.url, "security", world)

    # The first page: the estate, busiest store first, with the alert and the police's request.
    expect(page.get_by_role("heading", name="Your estate")).to_be_visible()
    stores = page.get_by_role("table")
    expect(stores.get_by_role("row").nth(1)).to_contain_text("Nw Brighton")
    expect(page.get_by_role("region", name="Alerts at your stores this week")).to_contain_text("Western Road")
    expect(page.get_by_role("region", name="The police are waiting for your stores")).to_contain_text(
        asked.reference
    )
    check_page(page, console_errors)

    # 1. A store's latest incident.
    stores.get_by_role("link", name=asked.reference).click()
    expect(page.get_by_role("heading", name=asked.reference)).to_be_visible()
    expect(page.get_by_text("Crate of spirits")).to_be_visible()
    check_page(page, console_errors)

    # 2. The alert: in the banner of every page until acknowledged.
    page.get_by_role("link", name="Estate").click()
    page.get_by_role("region", name="Alerts at your stores this week").get_by_role(
        "link", name="Two men with a holdall heading towards Western Road"
    ).click()
    expect(page.get_by_role("heading", name="Alert from a member")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("You acknowledged this")).to_be_visible()
    expect(page.locator("#alert-banner")).to_be_hidden()
    check_page(page, console_errors)

    # 3. A store role proposed by the partnership manager, confirmed.
    page.get_by_role("link", name="Store roles to confirm").click()
    expect(page.get_by_role("heading", name="Store roles to confirm")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("button", name="Confirm new.colleague@example.org").click()
    expect(page.get_by_text("new.colleague@example.org is now a store reporter at Nw Hove")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for you.")).to_be_visible()
    check_page(page, console_errors)
    assert Membership.objects.get(user__email="new.colleague@example.org").active

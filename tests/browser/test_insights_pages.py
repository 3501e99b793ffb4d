"""Dashboards render their charts and map in a real browser, at phone size, and pass axe-core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from shopwatch.marking.services import signage_set
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CspWatch
from tests.browser.journeys import ConsoleErrors, Opener, block_origin, check_page, sign_in_as
from tests.browser.test_report_journey import sign_in
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pcc_dashboard_charts_and_map_render(
    live_server: Any, world: World, new_phone_page: Callable[[], Page], csp_watch: CspWatch
) -> None:
    now = timezone.now()
    for i in range(30):
        store = ["nw-brighton", "corner-brighton", "kiosk-crawley"][i % 3]
        user = {
            "nw-brighton": "reporter",
            "corner-brighton": "same_partnership_reporter",
            "kiosk-crawley": "connected_reporter",
        }[store]
        world.report(
            user,
            store,
            occurred_at=now - dt.timedelta(days=i * 5, hours=i % 9),
            type="violence" if i % 7 == 0 else "theft",
        )
    page = new_phone_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    sign_in(page, live_server.url, "pcc")
    page.goto(f"{live_server.url}/insights/")
    page.get_by_role("link", name="Sussex PCC (force area)").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Sussex PCC (force area)").is_visible()
    charts = page.locator("svg.chart")
    assert charts.count() >= 5
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 30
    # The map draws one hexagon per area with incidents (the three stores sit in at least two areas) over
    # the force and district outlines shipped with the app.
    page.locator("#hotspot-map .leaflet-overlay-pane path").first.wait_for()
    assert page.locator("#hotspot-map .leaflet-overlay-pane path").count() >= 4
    assert page.locator("svg.chart rect").count() > 24
    assert "suppressed" in page.content() or "<5" in page.content()
    assert_accessible(page)
    assert not csp_watch.errors


def test_partnership_dashboard_prevention_panel_at_desktop(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    now = timezone.now()
    for i in range(6):
        world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=i * 4 + 1))
    signage_set(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="selectadna",
        displayed=True,
    )
    page = open_browser("desktop")
    block_origin(page, console_errors, "https://tile.openstreetmap.org")
    sign_in_as(page, live_server.url, "partnership_manager", world)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    page.get_by_role("link", name="Brighton BCRP", exact=True).click()
    expect(page.get_by_role("heading", name="Prevention", exact=True)).to_be_visible()
    expect(
        page.get_by_role("heading", name="Businesses with repeated incidents not yet taking part")
    ).to_be_visible()
    expect(page.locator(".map-legend")).to_contain_text("Store displaying forensic-marking signage")
    page.locator("#hotspot-map .leaflet-overlay-pane path").first.wait_for()
    check_page(page, console_errors)

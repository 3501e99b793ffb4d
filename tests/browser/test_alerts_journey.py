"""One member raises an alert; another member's open page shows it within seconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import CspWatch
from tests.browser.test_report_journey import sign_in
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alert_appears_on_another_members_open_page(
    live_server: Any, world: World, new_phone_page: Callable[[], Page], csp_watch: CspWatch
) -> None:
    watcher = new_phone_page()
    sign_in(watcher, live_server.url, "same_partnership_reporter")
    watcher.goto(f"{live_server.url}/incidents/")

    stranger = new_phone_page()
    sign_in(stranger, live_server.url, "unconnected_reporter")
    stranger.goto(f"{live_server.url}/incidents/")

    raiser = new_phone_page()
    sign_in(raiser, live_server.url, "manager")
    raiser.goto(f"{live_server.url}/alerts/")
    raiser.get_by_text("Raise an alert").click()
    assert_accessible(raiser)
    raiser.get_by_label("Offender or group moving between stores").check()
    raiser.get_by_label("Message").fill("Group of three with a holdall heading towards North Street")
    raiser.get_by_role("button", name="Send alert to the area").click()
    expect(raiser.get_by_text("Alert sent to members of the area.")).to_be_visible()

    live = watcher.locator("#live-alerts")
    expect(live).to_contain_text("heading towards North Street", timeout=10_000)
    assert_accessible(watcher)
    watcher.get_by_role("link", name="Group of three with a holdall heading towards North Street").click()
    watcher.get_by_role("button", name="Acknowledge").click()
    expect(watcher.get_by_text("You acknowledged this")).to_be_visible()

    stranger.wait_for_timeout(1500)
    expect(stranger.locator("#live-alerts")).to_be_hidden()
    assert not csp_watch.errors

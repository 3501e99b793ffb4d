"""Notifications are offered only after the member presses a button, and the page says their state: off (never
asked on page load), blocked in the browser's settings, or not supported by the browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_choices(page: Page) -> None:
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.get_by_role("link", name="Choose which alerts you get and how").click()
    expect(page.get_by_role("heading", name="Notifications on this device")).to_be_visible()


def test_notifications_are_off_until_asked_for(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    page = open_browser("phone")
    sign_in_as(page, live_server.url, "manager", world)
    _open_choices(page)
    expect(page.locator("#push-state")).to_have_text("off")
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_visible()
    expect(page.get_by_role("button", name="Turn off notifications")).to_be_hidden()
    page.wait_for_timeout(500)
    # Nothing asked the browser for permission on its own (a prompt would have settled it).
    assert page.evaluate("() => Notification.permission") == "default"
    check_page(page, console_errors)


def test_blocked_notifications_say_so(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    page = open_browser("phone")
    page.add_init_script("Object.defineProperty(Notification, 'permission', { get: () => 'denied' });")
    sign_in_as(page, live_server.url, "manager", world)
    _open_choices(page)
    expect(page.locator("#push-state")).to_have_text("blocked")
    expect(page.get_by_text("blocked for ShopWatch in this browser's settings")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_hidden()
    check_page(page, console_errors)


def test_unsupported_browsers_say_so(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    page = open_browser("phone")
    page.add_init_script("delete window.PushManager;")
    sign_in_as(page, live_server.url, "manager", world)
    _open_choices(page)
    expect(page.locator("#push-state")).to_have_text("not supported")
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_hidden()
    check_page(page, console_errors)

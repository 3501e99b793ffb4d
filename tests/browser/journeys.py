"""Shared pieces for the per-role browser journeys (tests/browser/test_journey_*.py).

A journey signs a role in through the real login form (with its six-digit code where the role needs
two-factor), starts on that role's first page and does the role's common tasks by clicking. Every page it
reaches is checked with axe-core, and any console error or uncaught page error fails the journey, not only
CSP violations.

Store roles work at phone size; everyone else at desktop size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, ViewportSize, expect

from shopwatch.core.models import TWO_FACTOR_ROLES, Membership
from tests.browser.axe import assert_accessible, serve_axe
from tests.core.support import confirmed_device, current_code
from tests.world import PASSWORD, World

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


@dataclass
class ConsoleErrors:
    """Every console error and uncaught exception seen by the pages of one journey."""

    errors: list[str] = field(default_factory=list)
    # Origins the journey blocks on purpose (map tiles, as if offline): the browser's own "Failed to load
    # resource" line for them is expected; everything else still fails the journey.
    blocked: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            url = message.location.get("url", "")
            if message.text.startswith("Failed to load resource") and any(
                url.startswith(origin) for origin in self.blocked
            ):
                return
            self.errors.append(f"console: {message.text}")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error.message}")


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


Opener = Callable[[str], Page]


def _open(browser: Browser, watch: ConsoleErrors, size: str) -> tuple[BrowserContext, Page]:
    if size == "phone":
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    else:
        context = browser.new_context(viewport=DESKTOP)
    serve_axe(context)
    context.on("console", watch.on_console)
    page = context.new_page()
    page.on("pageerror", watch.on_page_error)
    return context, page


@pytest.fixture
def open_browser(browser: Browser, console_errors: ConsoleErrors) -> Iterator[Opener]:
    """`open_browser("phone")` or `open_browser("desktop")`: a fresh browser (own cookies) for one person."""
    contexts: list[BrowserContext] = []

    def make(size: str) -> Page:
        context, page = _open(browser, console_errors, size)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in_as(page: Page, base: str, user: str, world: World) -> None:
    """Sign `user` of the test world in through the login form, with a TOTP code where the role needs one."""
    account = world.users[user]
    needs_code = Membership.objects.filter(user=account, role__in=TWO_FACTOR_ROLES).exists()
    device = confirmed_device(account) if needs_code else None
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email address").fill(f"{user}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        page.get_by_label("6-digit code").fill(current_code(device))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def block_origin(page: Page, watch: ConsoleErrors, origin: str) -> None:
    """Make every request to ``origin`` fail, as when that server cannot be reached."""
    watch.blocked.append(origin)
    page.context.route(f"{origin}/**", lambda route: route.abort())


def check_page(page: Page, watch: ConsoleErrors) -> None:
    """The page as it is now: no serious or critical axe-core violations, no console errors so far, and at
    phone size nothing scrolls sideways."""
    assert_accessible(page)
    assert not watch.errors, f"console errors by {page.url}:\n" + "\n".join(watch.errors)
    viewport = page.viewport_size
    if viewport is not None and viewport["width"] <= PHONE["width"]:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{page.url} scrolls sideways ({width}px wide)"

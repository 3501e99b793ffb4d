"""Browser journeys at phone size, under the pages' real Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

from tests.browser.axe import serve_axe
from tests.browser.journeys import PHONE as PHONE
from tests.browser.journeys import console_errors, open_browser  # noqa: F401 (fixtures for the journeys)


class CspWatch:
    """Console errors reporting a Content-Security-Policy violation (an inline script or style)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(message.text)


@pytest.fixture
def csp_watch() -> CspWatch:
    return CspWatch()


@pytest.fixture
def phone_context(browser: Browser, csp_watch: CspWatch) -> Iterator[BrowserContext]:
    """A phone-sized browser (390x844, touch) with axe-core available and CSP enforced."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    serve_axe(context)
    context.on("console", csp_watch)
    yield context
    context.close()


@pytest.fixture
def new_phone_page(browser: Browser, csp_watch: CspWatch) -> Iterator[object]:
    """Open a fresh phone (its own cookies) for each person in a journey."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        serve_axe(context)
        context.on("console", csp_watch)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()

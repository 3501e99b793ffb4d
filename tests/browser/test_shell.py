"""The site shell for every role: no console errors from the first page on, and every page a role's menu
reaches is usable on a phone (axe-core, no sideways scroll, every touch target at least 44 x 44 px).

Signing in with two-factor passes through the code page, which is part of the shell too: it must not open the
alert stream or register the service worker before the code is given (both answer only a verified session).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = (
    "reporter",
    "manager",
    "security",
    "partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "pcc",
    "navigator",
    "admin",
)

# Every visible control whose target must be at least 44 x 44 CSS px (GOV.UK's reading of WCAG 2.2's target
# size). Exceptions, as WCAG allows: a link inside running text (its parent holds other words), and a checkbox
# or radio, whose target is its label. Returns a description of each control that is too small.
SMALL_TARGETS_JS = """
() => {
  const MIN = 44 - 0.5;
  const out = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0;
  };
  const inRunningText = (el) => {
    const parent = el.parentElement;
    if (!parent) return false;
    const own = (el.textContent || '').trim();
    const all = (parent.textContent || '').replace(/\\s+/g, ' ').trim();
    return all.replace(own.replace(/\\s+/g, ' '), '').trim().length > 0;
  };
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(selector)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el;
    }
    if (!visible(target)) continue;
    if (el.matches('a') && inRunningText(el)) continue;
    const r = target.getBoundingClientRect();
    if (r.width < MIN || r.height < MIN) {
      const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || el.id || '')
        .replace(/\\s+/g, ' ').trim().slice(0, 40);
      out.push(`${el.tagName.toLowerCase()} "${name}" is ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return out;
}
"""


def small_targets(page: Page) -> list[str]:
    found: list[str] = page.evaluate(SMALL_TARGETS_JS)
    return found


def menu_links(page: Page) -> list[tuple[str, str]]:
    links = page.locator('nav[aria-label="Main"] a')
    return [
        (links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href") or "")
        for i in range(links.count())
    ]


@pytest.mark.parametrize("role", ROLES)
def test_first_page_has_no_console_errors(
    role: str, live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    """Signed in (through the two-factor page where the role needs it), the first page and the pages after it
    log no console error: no refused alert stream, no service worker behind a redirect."""
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, role, world)
    page.wait_for_load_state("networkidle")
    check_page(page, console_errors)
    # A second page: the service worker is registered by now and the stream re-opened.
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.wait_for_load_state("networkidle")
    check_page(page, console_errors)


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_page_on_a_phone_has_44px_targets(
    role: str, live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    page = open_browser("phone")
    sign_in_as(page, live_server.url, role, world)
    too_small: list[str] = []
    first = page.url
    pages = [("first page", first), *menu_links(page)]
    assert len(pages) > 2, role
    for name, href in pages:
        if href != first:
            page.goto(href if href.startswith("http") else f"{live_server.url}{href}")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        check_page(page, console_errors)
        too_small += [f"{name} ({page.url}): {problem}" for problem in small_targets(page)]
    assert not too_small, f"{role}: targets under 44 x 44 px:\n" + "\n".join(too_small)


def test_collapsible_sections_show_that_they_open(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    """Each <summary> carries a visible marker that turns when its section opens."""
    page = open_browser("phone")
    sign_in_as(page, live_server.url, "manager", world)
    page.get_by_role("link", name="Alerts", exact=True).click()
    summary = page.locator("details > summary").first
    expect(summary).to_be_visible()

    def marker() -> dict[str, str]:
        found: dict[str, str] = summary.evaluate(
            """(el) => { const s = getComputedStyle(el, '::before');
                 return {content: s.content, width: s.width, transform: s.transform}; }"""
        )
        return found

    closed = marker()
    assert closed["content"] not in ("none", "normal"), closed
    assert closed["width"] not in ("auto", "0px"), closed
    summary.click()
    expect(page.locator("details").first).to_have_attribute("open", "")
    # The marker turns with a short transition: wait for it to have turned (it never does if the rule is
    # lost).
    page.wait_for_function(
        "([el, before]) => getComputedStyle(el, '::before').transform !== before",
        arg=[summary.element_handle(), closed["transform"]],
        timeout=5_000,
    )
    opened = marker()
    assert opened["transform"] != closed["transform"], (closed, opened)
    check_page(page, console_errors)


def test_sign_out_is_not_styled_as_the_main_action(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    """The green filled button is the page's main action; "Sign out" in the header is a quiet, link-like
    control."""
    page = open_browser("phone")
    sign_in_as(page, live_server.url, "reporter", world)
    sign_out = page.get_by_role("button", name="Sign out")
    main_action = page.locator("main button[type=submit]").last
    style = "(el) => { const s = getComputedStyle(el); return [s.backgroundColor, s.borderBottomWidth]; }"
    sign_out_bg, sign_out_border = sign_out.evaluate(style)
    main_bg, _ = main_action.evaluate(style)
    assert sign_out_bg != main_bg
    assert sign_out_bg in ("rgba(0, 0, 0, 0)", "transparent")
    assert sign_out_border == "0px"
    check_page(page, console_errors)

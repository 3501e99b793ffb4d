"""A partnership manager on a phone: sign in, set up two-factor, manage members and stores, read the trail.

Each page is checked with axe-core (tests/browser/axe.py): no serious or critical accessibility violations,
no sideways scrolling at 390 px, and no Content-Security-Policy violations.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import BrowserContext, Page, expect

from shopwatch.core.models import Membership, User
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CspWatch
from tests.world import PASSWORD, World

PHONE_WIDTH = 390

pytestmark = pytest.mark.browser


def assert_fits_phone(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways ({width}px wide)"


def test_partnership_manager_on_a_phone(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch
) -> None:
    """Runs under the pages' real Content-Security-Policy; axe-core is served from the page's own origin."""
    base = live_server.url
    page = phone_context.new_page()

    page.goto(f"{base}/account/login/")
    expect(page.get_by_label("Keep me signed in on this device")).to_be_checked()
    assert_accessible(page)
    assert_fits_phone(page)

    # A wrong password first: the error summary and the inline message.
    page.get_by_label("Email address").fill("partnership_manager@example.org")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email address or password is not right")
    assert_accessible(page)

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # First sign-in for this role: set up the authenticator app.
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to add ShopWatch to your authenticator app")).to_be_visible()
    assert_accessible(page)
    assert_fits_phone(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret)

    page.get_by_label("6-digit code").fill("99999")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.locator("#id_token_error")).to_contain_text("The code is 6 digits")
    assert_accessible(page)

    page.get_by_label("6-digit code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("status")).to_contain_text("Two-factor sign-in is set up")

    # Members.
    page.goto(f"{base}/partnerships/brighton-bcrp/")
    expect(page.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    expect(page.get_by_text("same_partnership_reporter@example.org")).to_be_visible()
    assert_accessible(page)
    assert_fits_phone(page)

    # Add a member: first with mistakes, then properly.
    page.get_by_role("link", name="Add a member").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the person's email address.")
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_label("Email address").fill("sam.new@example.org")
    page.get_by_label("Full name (optional)").fill("Sam New")
    page.get_by_label("Store", exact=True).select_option(label="Nw Hove (Northway Foods)")
    page.get_by_label("Store reporter: reports incidents at this store").check()
    page.get_by_role("button", name="Add member").click()
    # A store role needs the retailer's consent: the partnership manager's addition is a proposal.
    expect(page.get_by_role("heading", name="Sam New is proposed")).to_be_visible()
    expect(page.get_by_label("Set-password link")).to_have_value(re.compile(r"/account/set-password/"))
    assert_accessible(page)
    assert_fits_phone(page)
    assert Membership.objects.filter(
        user__email="sam.new@example.org", store=world.stores["nw-hove"], active=False, awaiting_consent=True
    ).exists()
    assert not User.objects.get(email="sam.new@example.org").has_usable_password()

    # Deactivate someone.
    page.goto(f"{base}/partnerships/brighton-bcrp/")
    page.get_by_role("link", name="Deactivate Other Store Reporter as store reporter").click()
    assert_accessible(page)
    page.get_by_role("button", name="Deactivate membership").click()
    expect(page.get_by_role("status")).to_contain_text("Other Store Reporter is no longer a store reporter")

    # Stores.
    page.get_by_role("link", name="Stores").click()
    expect(page.get_by_role("heading", name="Stores", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Corner Brighton")).to_be_visible()
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_role("link", name="Remove Corner Brighton from the partnership").click()
    assert_accessible(page)
    page.get_by_role("button", name="Remove store").click()
    expect(page.get_by_role("status")).to_contain_text("Corner Brighton is no longer part of Brighton BCRP")

    # The audit trail shows what was just done.
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_text("Removed Corner Brighton from Brighton BCRP")).to_be_visible()
    expect(
        page.get_by_text(
            "Proposed sam.new@example.org as store reporter at Nw Hove (new account), "
            "awaiting Northway Foods's consent"
        )
    ).to_be_visible()
    assert_accessible(page)
    assert_fits_phone(page)

    # API keys.
    page.goto(f"{base}/account/api-keys/")
    assert_accessible(page)
    page.get_by_label("Key name").fill("Radio link")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("It will not be shown again.")).to_be_visible()
    assert_accessible(page)
    assert_fits_phone(page)
    assert csp_watch.errors == []

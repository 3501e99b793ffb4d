"""A platform admin at a desk: the health page (their first page); what admins mostly do, looking after
people's access (the users with a role, and a leaked API key revoked); and the audit trail that records it.
Every page by clicking, each checked with axe-core and for console errors."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import ApiKey, AuditEvent, User
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_checks_health_revokes_a_key_and_reads_the_audit_trail(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    # As the demo's platform operator: the administration pages' superuser.
    User.objects.filter(pk=world.users["admin"].pk).update(is_staff=True, is_superuser=True)
    apikey_create(viewer=world.viewer("security"), user=world.users["security"], name="Till system")
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "admin", world)

    # 1. The first page: is ShopWatch healthy?
    expect(page.get_by_role("heading", name="Platform health")).to_be_visible()
    expect(page.get_by_role("heading", name="Background tasks")).to_be_visible()
    expect(page.get_by_text("Data directory writable")).to_be_visible()
    expect(page.get_by_role("heading", name="Hand-offs to forces")).to_be_visible()
    check_page(page, console_errors)

    # 2. Who holds a role: the users, narrowed to security managers.
    page.get_by_role("link", name="Users and their roles").click()
    page.get_by_role("link", name="Retail security manager").click()
    expect(page.get_by_role("link", name="security@example.org")).to_be_visible()
    expect(page.get_by_role("link", name="reporter@example.org")).to_have_count(0)
    check_page(page, console_errors)

    # 3. A leaked key: revoked.
    page.get_by_role("link", name="View site").click()
    page.get_by_role("link", name="API keys").click()
    check_page(page, console_errors)
    page.get_by_role("row", name="Till system").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Revoke the selected keys")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Revoked 1 key(s).")).to_be_visible()
    check_page(page, console_errors)
    assert ApiKey.objects.get(name="Till system").revoked_at is not None

    # 4. The audit trail shows who revoked it.
    page.get_by_role("link", name="View site").click()
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_text("API key 'Till system' revoked").first).to_be_visible()
    check_page(page, console_errors)
    assert AuditEvent.objects.filter(
        actor=world.users["admin"], summary="API key 'Till system' revoked"
    ).exists()

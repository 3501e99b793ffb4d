"""A police supervisor, at desktop size, by clicking from the first page: see the team's work (who holds what,
what is overdue), reassign an overdue case to another investigator, and check the overdue in the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shopwatch.core.models import Membership, Role, User
from shopwatch.policing.models import Triage
from shopwatch.policing.services.triage import triage_assign
from shopwatch.reporting.models import Incident
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World, hashed_password

pytestmark = pytest.mark.browser


def _age(incident: Incident, hours: float) -> None:
    when = timezone.now() - dt.timedelta(hours=hours)
    Incident.objects.filter(pk=incident.pk).update(
        created_at=when, occurred_at=when - dt.timedelta(minutes=5), sent_to_police_at=when
    )


def test_supervisor_sees_the_team_reassigns_and_checks_overdue(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    second = User.objects.create(
        email="second@example.org", password=hashed_password(), full_name="Dana Second Officer"
    )
    Membership.objects.create(user=second, organisation=world.orgs["sussex"], role=Role.POLICE_INVESTIGATOR)
    held = world.report(
        "reporter",
        "nw-brighton",
        report_to_police=True,
        description="Took a crate of lager",
        goods_value="60.00",
    )
    nobody = world.report(
        "reporter", "nw-brighton", report_to_police=True, description="Took batteries", goods_value="25.00"
    )
    _age(held, 24 * 5)
    _age(nobody, 24 * 6)
    triage_assign(
        viewer=world.viewer("supervisor_sussex"), incident=held, assignee_id=world.users["police_sussex"].pk
    )

    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "supervisor_sussex", world)

    # The first page is the team's work: who holds what, and what is overdue.
    expect(page.get_by_role("heading", name="Team's work")).to_be_visible()
    summary = page.get_by_role("status").filter(has_text="among the cases officers hold")
    expect(summary).to_contain_text("1 overdue among the cases officers hold")
    expect(summary).to_contain_text("1 overdue in the queue with nobody on it")
    officer = page.get_by_role("region", name="Police Sussex")
    expect(officer).to_contain_text(held.reference)
    expect(officer).to_contain_text("Overdue")
    check_page(page, console_errors)

    # Reassign it to the officer with room.
    officer.get_by_role("link", name=held.reference).click()
    expect(page.get_by_role("heading", name=held.reference)).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Investigator").select_option(label="Dana Second Officer")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text("Assigned.")).to_be_visible()
    assert Triage.objects.get(incident=held).assigned_to_id == second.pk
    check_page(page, console_errors)

    page.get_by_role("navigation", name="Police business crime team").get_by_role("link", name="Team").click()
    expect(page.get_by_role("region", name="Dana Second Officer")).to_contain_text(held.reference)
    check_page(page, console_errors)

    # Check what is overdue in the queue with nobody on it.
    page.get_by_role("link", name="see the overdue in the queue").click()
    expect(page.get_by_role("heading", name="Triage queue: overdue")).to_be_visible()
    rows = page.locator(".queue-list > li")
    expect(rows.filter(has_text=nobody.reference)).to_contain_text("Overdue")
    check_page(page, console_errors)

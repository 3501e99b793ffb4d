"""Phone-sized Chromium journeys: the witness signs their MG11 on their own phone; an investigator triages.

Run under the pages' real Content-Security-Policy; axe-core is served from the page's own origin so the
policy is not weakened; no serious or critical axe violations; nothing scrolls sideways at 390 px.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import axe_playwright_python  # type: ignore[import-untyped]
import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, ViewportSize, expect

from shopwatch.policing.models import Series, Triage, TriageState, WitnessStatement
from shopwatch.policing.services import casefiles
from tests.policing.conftest import signed_in
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
AXE_JS = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
AXE_PATH = "/__test-only__/axe.min.js"


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[BrowserContext, list[str]]]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)

    def fulfil(route: Route) -> None:
        route.fulfill(path=str(AXE_JS), content_type="application/javascript; charset=utf-8")

    context.route(f"**{AXE_PATH}", fulfil)
    csp_errors: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_errors.append(message.text)

    context.on("console", watch)
    yield context, csp_errors
    context.close()


def check_page(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, f"axe-core on {page.url}: {bad}"


def test_witness_signs_statement_on_their_phone(
    live_server: Any, world: World, phone: tuple[BrowserContext, list[str]]
) -> None:
    context, csp_errors = phone
    inc = world.report(
        "reporter", "nw-brighton", report_to_police=True, occurred_at=timezone.now() - dt.timedelta(hours=3)
    )
    officer = world.viewer("police_sussex")
    case = casefiles.casefile_create(viewer=officer, kind="incident", title="Theft of steaks", incident=inc)
    statement = casefiles.statement_create(
        viewer=officer,
        case_file=case,
        incident=inc,
        witness_id=world.users["reporter"].pk,
        occupation="Shop assistant",
        text="At about 2pm I saw a man put four steaks in his coat and leave.",
    )

    page = context.new_page()
    page.goto(f"{live_server.url}/account/login/?next=/police/statements/{statement.pk}/sign/")
    page.get_by_label("Email address").fill("reporter@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Sign your witness statement")).to_be_visible()
    expect(page.get_by_text("four steaks in his coat")).to_be_visible()
    expect(page.get_by_text("true to the best of my knowledge and belief")).to_be_visible()
    check_page(page)

    # Signing without the declaration or with the wrong name: the error summary and inline messages.
    page.get_by_label("Your full name").fill("Somebody Else")
    page.get_by_role("button", name="Sign statement").click()
    expect(page.locator(".error-summary")).to_contain_text("Tick the box to confirm the declaration")
    expect(page.locator(".error-summary")).to_contain_text("Type your full name as Reporter")
    check_page(page)

    page.get_by_label("I make this statement knowing the declaration above is true").check()
    page.get_by_label("Your full name").fill("Reporter")
    page.get_by_role("button", name="Sign statement").click()
    expect(page.get_by_role("status")).to_contain_text("Your statement is signed")
    check_page(page)
    signed = WitnessStatement.objects.get(pk=statement.pk)
    assert signed.signed_at is not None
    assert signed.signed_name == "Reporter"
    assert csp_errors == []


def test_investigator_triages_on_a_phone(
    live_server: Any, world: World, phone: tuple[BrowserContext, list[str]]
) -> None:
    context, csp_errors = phone
    inc = world.report("reporter", "nw-brighton", report_to_police=True, type="violence", flags=["violence"])
    earlier = world.report(
        "connected_reporter",
        "kiosk-crawley",
        report_to_police=True,
        occurred_at=timezone.now() - dt.timedelta(days=2),
    )
    client = signed_in(world, "police_sussex")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/police/queue/")
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name=inc.reference, exact=True).click()
    expect(page.get_by_role("heading", name=inc.reference)).to_be_visible()
    check_page(page)
    page.get_by_label("Reject").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".error-summary")).to_contain_text("Say why it is rejected")
    check_page(page)
    page.get_by_label("Ask the store for CCTV").check()
    page.get_by_label("Reason or what you need").fill("CCTV from 14:00 to 14:30, all cameras")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("single-use link for the footage")
    assert Triage.objects.get(incident=inc).state == TriageState.INFO_REQUESTED
    for path in ("/police/outcomes/", "/police/handoff/deliveries/", "/police/case-files/"):
        page.goto(f"{live_server.url}{path}")
        check_page(page)

    # Linking by hand: from the incident, find the earlier one by its reference and make a series.
    page.goto(f"{live_server.url}/police/incidents/{inc.pk}/")
    page.get_by_role("link", name="Link into a series by hand").click()
    expect(page.get_by_role("heading", name="Link incidents into a series")).to_be_visible()
    expect(page.get_by_label(inc.reference)).to_be_checked()
    check_page(page)
    page.get_by_label("Search by reference").fill(earlier.reference)
    page.get_by_role("button", name="Search").click()
    page.get_by_label(earlier.reference).check()
    page.get_by_role("button", name="Link incidents").click()
    expect(page.locator(".error-summary")).to_contain_text("Say why these incidents are linked")
    expect(page.get_by_label(inc.reference)).to_be_checked()
    check_page(page)
    page.get_by_label("Name of the new series").fill("Violence at Brighton and Crawley")
    page.get_by_label("Same person").check()
    page.get_by_label("Why these incidents are linked").fill("The same man threatens staff in both")
    page.get_by_role("button", name="Link incidents").click()
    expect(page.get_by_role("heading", name="Violence at Brighton and Crawley")).to_be_visible()
    expect(page.get_by_text("The same man threatens staff in both").first).to_be_visible()
    check_page(page)
    assert set(Series.objects.get().members.values_list("incident_id", flat=True)) == {inc.pk, earlier.pk}
    assert csp_errors == []

"""A shop worker reports on a phone; the store manager finds it; a shop elsewhere cannot.

Every page visited is checked with axe-core (no serious or critical violations) under the real
Content-Security-Policy. Nothing here is timed: page loads and bytes are counted instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, Request, expect

from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, CspWatch
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def sign_in(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/account/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill(f"{user}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def assert_fits_phone(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px wide)"


def test_report_with_photo_is_seen_by_the_manager_and_not_by_a_stranger(
    live_server: Any, world: World, new_phone_page: Callable[[], Page], csp_watch: CspWatch, tmp_path: Path
) -> None:
    base = live_server.url
    photo = tmp_path / "IMG_2041.jpg"
    Image.new("RGB", (1600, 1200), (180, 40, 40)).save(photo, "JPEG", quality=85)

    # The shop worker signs in through the real form and reports.
    worker = new_phone_page()
    sign_in(worker, base, "reporter")
    # A shop worker starts on the report form.
    expect(worker.get_by_role("heading", name="Report an incident")).to_be_visible()
    assert_accessible(worker)
    assert_fits_phone(worker)

    # Sent empty: an error summary and inline messages, on an accessible page.
    worker.get_by_role("button", name="Send report").click()
    expect(worker.get_by_role("alert")).to_contain_text("Choose what happened.")
    expect(worker.locator("#id_description_error")).to_contain_text("Describe what happened.")
    assert_accessible(worker)
    assert not Incident.objects.exists()

    worker.get_by_label("Theft (shoplifting)").check()
    worker.get_by_label("Tell us what happened").fill(
        "Filled a bag with coffee and walked out past the tills."
    )
    worker.get_by_label("Offender still nearby").check()
    worker.get_by_label("Photos (optional)").set_input_files(str(photo))
    worker.get_by_text("Goods taken (optional)").click()
    worker.get_by_label("What was taken (optional)").fill("Coffee, 12 jars")
    worker.get_by_label("Value of goods taken (£) (optional)").fill("71.88")
    worker.get_by_role("button", name="Send report").click()

    expect(worker.get_by_role("heading", name="Report sent")).to_be_visible()
    reference = worker.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"SW-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
    expect(worker.get_by_text("call 999 now")).to_be_visible()
    assert_accessible(worker)
    assert_fits_phone(worker)
    incident = Incident.objects.get(reference=reference)
    assert incident.flag_offender_nearby
    assert EvidenceFile.objects.get(incident=incident).original_filename == "IMG_2041.jpg"

    # The store manager signs in on their own phone, finds it in the list and opens it.
    manager = new_phone_page()
    sign_in(manager, base, "manager")
    manager.goto(f"{base}/incidents/")
    assert_accessible(manager)
    assert_fits_phone(manager)
    manager.get_by_role("link", name=reference, exact=True).click()
    expect(manager.get_by_role("heading", name=reference)).to_be_visible()
    expect(manager.get_by_text("Offender still nearby", exact=True)).to_be_visible()
    expect(manager.get_by_text("Coffee, 12 jars")).to_be_visible()
    thumb = manager.get_by_role("img", name=re.compile("IMG_2041.jpg"))
    expect(thumb).to_be_visible()
    thumb.scroll_into_view_if_needed()  # thumbnails load lazily
    manager.wait_for_function("() => [...document.querySelectorAll('.photos img')].every(i => i.complete)")
    assert thumb.evaluate("img => img.naturalWidth") == 480  # a real, derived thumbnail of the 1600px photo
    page_url = thumb.locator("xpath=..").get_attribute("href") or ""
    assert re.fullmatch(r"/evidence/\d+/", page_url)  # the photo opens the evidence page
    full = manager.request.get(base + page_url + "content")
    assert full.status == 200
    assert full.body() == photo.read_bytes()
    assert_accessible(manager)
    assert_fits_phone(manager)

    # A shop in an unconnected partnership: the search finds nothing, the address is a 404.
    stranger = new_phone_page()
    sign_in(stranger, base, "unconnected_reporter")
    stranger.goto(f"{base}/incidents/")
    stranger.get_by_text("Filter incidents").click()
    stranger.get_by_label("Reference or words (optional)").fill(reference)
    stranger.get_by_role("button", name="Show incidents").click()
    expect(stranger.get_by_text("No incidents match these filters.")).to_be_visible()
    expect(stranger.get_by_role("link", name=reference, exact=True)).to_have_count(0)
    assert_accessible(stranger)
    response = stranger.goto(f"{base}/incidents/{incident.pk}/")
    assert response is not None
    assert response.status == 404
    thumb_response = stranger.goto(f"{base}/evidence/{incident.evidence.get().pk}/thumb")
    assert thumb_response is not None
    assert thumb_response.status == 404

    assert csp_watch.errors == []


def test_filing_a_report_takes_two_page_loads_and_under_100_kb(
    live_server: Any, world: World, new_phone_page: Callable[[], Page], csp_watch: CspWatch
) -> None:
    """Counted, not timed: from opening the form to seeing the reference, without photos."""
    base = live_server.url
    page = new_phone_page()
    sign_in(page, base, "reporter")

    # Count from a cold cache: the stylesheet and script are part of what a first report costs.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    requests: list[Request] = []
    page.on("requestfinished", lambda request: requests.append(request))
    failed: list[str] = []

    def note_failure(request: Request) -> None:
        # A live event stream (server-sent events) is cut when the page changes: that is not a failure.
        if request.resource_type != "eventsource":
            failed.append(f"{request.url}: {request.failure}")

    page.on("requestfailed", note_failure)
    page.goto(f"{base}/incidents/new/")
    page.get_by_label("Threats or abuse").check()
    page.get_by_label("Tell us what happened").fill("Shouted threats at the till and left.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    page.wait_for_load_state("load")

    documents = [r for r in requests if r.resource_type == "document" and r.redirected_to is None]
    transferred = 0
    for r in requests:
        sizes = r.sizes()
        transferred += sizes["requestHeadersSize"] + sizes["requestBodySize"]
        transferred += sizes["responseHeadersSize"] + sizes["responseBodySize"]
    print(
        f"\nReport without photos: {len(documents)} page loads, {transferred:,} bytes, "
        f"{len(requests)} requests: {[r.url.removeprefix(base) for r in requests]}"
    )
    assert failed == []
    statuses = {r.url.removeprefix(base): r.response().status for r in requests}  # type: ignore[union-attr]
    assert all(status < 400 for status in statuses.values()), statuses
    assert {"/static/shopwatch/shopwatch.css", "/static/shopwatch/report.js"} <= set(statuses)
    assert len(documents) <= 2
    assert transferred <= 100 * 1024
    assert not [r for r in requests if not r.url.startswith(base)]  # no third-party fonts, scripts or styles
    assert Incident.objects.count() == 1
    assert csp_watch.errors == []

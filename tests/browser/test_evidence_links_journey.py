"""On a phone, a store worker opens a photo, sees which incidents it belongs to, links it to a second
incident (a mistyped reference first: the error is shown by the field), and the photo then appears on the
second incident. Each state is audited with axe-core; the page loads the original through a byte range
like a player would."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from shopwatch.evidence.models import CustodyAction, EvidenceLink
from shopwatch.evidence.services import evidence_add
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, CspWatch
from tests.browser.test_report_journey import sign_in
from tests.evidence.images import jpeg_bytes
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def test_a_store_worker_links_a_photo_to_a_second_incident_on_a_phone(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch
) -> None:
    first = world.report("reporter", "nw-brighton", description="Two men took razors at 10:02")
    second = world.report("reporter", "nw-brighton", description="The same two men returned at 10:40")
    data = jpeg_bytes((120, 60, 30), size=(1024, 768))
    photo = evidence_add(
        viewer=world.viewer("reporter"), incident=first, fileobj=io.BytesIO(data), filename="till-cam.jpg"
    )
    page = phone_context.new_page()
    sign_in(page, live_server.url, "reporter")

    page.goto(f"{live_server.url}/evidence/{photo.pk}/")
    expect(page.get_by_role("heading", name="till-cam.jpg")).to_be_visible()
    expect(page.get_by_role("link", name=first.reference).first).to_be_visible()
    # The browser fetched the picture itself; the original comes back byte for byte, and a range too.
    ranged = page.request.get(
        f"{live_server.url}/evidence/{photo.pk}/content", headers={"Range": "bytes=0-15"}
    )
    assert ranged.status == 206
    assert ranged.body() == data[:16]
    assert_accessible(page)

    page.get_by_text("Link to another incident").click()
    page.get_by_label("Incident reference").fill("SW-XXXX-0000")
    page.get_by_label("Why it belongs to that incident too").fill("The same two men are in this still")
    page.get_by_role("button", name="Link the file").click()
    expect(page.get_by_role("alert")).to_contain_text("No incident 'SW-XXXX-0000' that you can see.")
    expect(page.locator("#id_incident_error")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Incident reference").fill(second.reference)
    page.get_by_role("button", name="Link the file").click()
    expect(page.get_by_text(f"The file is now on {second.reference} too.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Take off {second.reference}")).to_be_visible()
    # Measured once the stylesheet applies (under a loaded test server it has occasionally come late).
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('img.evidence-image')).maxWidth === '100%'"
    )
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit + 1)
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
            .slice(0, 5)""",
        PHONE["width"],
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], wide
    assert_accessible(page)

    link = EvidenceLink.objects.get(evidence=photo)
    assert (link.incident_id, link.reason) == (second.pk, "The same two men are in this still")
    assert photo.custody.filter(action=CustodyAction.LINKED).count() == 1

    # The second incident's page lists the photo now.
    page.get_by_role("link", name=second.reference).first.click()
    expect(page).to_have_url(f"{live_server.url}/incidents/{second.pk}/")
    expect(page.locator(f'a[href="/evidence/{photo.pk}/"]')).to_be_visible()
    assert csp_watch.errors == []

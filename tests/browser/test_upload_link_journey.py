"""A store worker with no account opens an investigator's upload link on a phone and sends footage.

The page sends files with the vendored tus-js-client under the real Content-Security-Policy; what
arrives becomes evidence on the incident. A file the server refuses shows the reason by the field.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, expect

from shopwatch.evidence.models import EvidenceFile
from shopwatch.uploads.services.uploaders import upload_link_create
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, CspWatch
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def test_a_store_worker_sends_photos_through_an_upload_link_on_a_phone(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch, tmp_path: Path
) -> None:
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    new = upload_link_create(
        viewer=world.viewer("police_sussex"),
        incident_id=incident.pk,
        hours=24,
        note="A clear still of the suspect at the till",
    )
    photo = tmp_path / "IMG_0042.jpg"
    Image.new("RGB", (1200, 900), (30, 90, 160)).save(photo, "JPEG", quality=85)
    fake = tmp_path / "notes.jpg"
    fake.write_bytes(b"These are not the pixels you are looking for. " * 20)

    page = phone_context.new_page()
    page.goto(f"{live_server.url}/u/{new.token}/")
    expect(page.get_by_role("heading", name=f"Send files for incident {incident.reference}")).to_be_visible()
    expect(page.get_by_text("A clear still of the suspect at the till")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    # Sending nothing says what to do.
    page.get_by_role("button", name="Send files").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one file to send.")

    # A file that is not a photo is refused by the server, with its reason shown by the field.
    page.get_by_label("Files to send").set_input_files(str(fake))
    page.get_by_role("button", name="Send files").click()
    expect(page.locator("#files-error")).to_contain_text("not accepted")
    assert not EvidenceFile.objects.exists()

    # The real photo arrives, with progress, and becomes evidence.
    page.get_by_label("Files to send").set_input_files(str(photo))
    page.get_by_role("button", name="Send files").click()
    expect(page.get_by_text("Received and kept as evidence")).to_be_visible(timeout=20_000)
    evidence = EvidenceFile.objects.get(incident=incident)
    assert evidence.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert evidence.original_filename == "IMG_0042.jpg"
    assert_accessible(page)
    assert csp_watch.errors == []

    # The link is spent: opening it again explains, with no file input.
    page.goto(f"{live_server.url}/u/{new.token}/")
    expect(page.get_by_text("Each link works once")).to_be_visible()
    assert page.locator("input[type=file]").count() == 0

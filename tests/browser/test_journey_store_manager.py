"""A store manager on a phone, by clicking from the first page: open the store's incident the police asked
CCTV for, send the footage from that page and tell the police it is sent; see the store's incidents; share
the store's contact details with the police."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from shopwatch.evidence.models import EvidenceFile
from shopwatch.policing.models import StoreContact, Triage, TriageEvent
from shopwatch.policing.services.triage import triage_request_cctv, triage_take
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def test_store_manager_answers_a_cctv_request_and_shares_contact_details(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors, tmp_path: Path
) -> None:
    world.report("reporter", "nw-brighton", description="Shouting at the kiosk, left before police came")
    inc = world.report(
        "reporter",
        "nw-brighton",
        report_to_police=True,
        description="Took a crate of spirits",
        goods_value="320.00",
    )
    officer = world.viewer("police_sussex")
    triage_take(viewer=officer, incident=inc)
    triage_request_cctv(viewer=officer, incident=inc, reason="The camera over the door, 14:00 to 14:30")
    still = tmp_path / "door-camera-still.jpg"
    Image.new("RGB", (1280, 720), (40, 80, 120)).save(still, "JPEG", quality=85)

    page = open_browser("phone")
    sign_in_as(page, live_server.url, "manager", world)
    check_page(page, console_errors)

    # From the store's incidents, open the one the police asked CCTV for.
    page.get_by_role("link", name=inc.reference, exact=True).click()
    expect(page.get_by_role("heading", name="Sussex Police asks for CCTV")).to_be_visible()
    expect(page.get_by_text("The camera over the door, 14:00 to 14:30")).to_be_visible()
    check_page(page, console_errors)

    # Send the footage from the same page, then tell the police.
    page.get_by_role("link", name="Add photos or footage").click()
    page.get_by_label("Files to send").set_input_files(str(still))
    page.get_by_role("button", name="Send files").click()
    expect(page.get_by_text("Received and kept as evidence")).to_be_visible(timeout=20_000)
    evidence = EvidenceFile.objects.get(incident=inc)
    assert evidence.sha256 == hashlib.sha256(still.read_bytes()).hexdigest()
    check_page(page, console_errors)
    page.get_by_label("Anything to add").fill("Camera 2 covers the car park if you need it")
    page.get_by_role("button", name="Tell the police it is sent").click()
    expect(page.get_by_text("The police have been told")).to_be_visible()
    expect(page.get_by_role("heading", name="Sussex Police's request: answered")).to_be_visible()
    assert TriageEvent.objects.filter(incident=inc, action="store_answered").exists()
    assert Triage.objects.get(incident=inc).state == "assigned"
    check_page(page, console_errors)

    # Share the store's contact details with the police.
    page.get_by_role("link", name="Contact details you share with the police").click()
    expect(page.get_by_role("heading", name="Contact details for the police")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("Store phone").fill("01273 000111")
    page.get_by_label("Contact's name").fill("Manager Person")
    page.get_by_label("Contact's role").fill("Store manager")
    page.get_by_label("Opening hours").fill("Mon to Sat 7:00 to 22:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Sussex Police will see these contact details.")).to_be_visible()
    assert StoreContact.objects.get(store=world.stores["nw-brighton"]).contact_role == "Store manager"
    check_page(page, console_errors)

    # See the store's incidents.
    page.get_by_role("link", name="All incidents").click()
    expect(page.get_by_role("link", name=inc.reference, exact=True)).to_be_visible()
    check_page(page, console_errors)

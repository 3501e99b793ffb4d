"""A store reporter on a phone, by clicking from the first page (the report form): file a report naming a
known person through the picker (typing part of a name, choosing them by photo and last-seen store, with a
namesake from another partnership never offered); see my reports and open the one just sent; add a photo to
it after sending."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.services import person_create
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def test_store_reporter_names_a_known_person_sees_the_report_and_adds_a_photo(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors, tmp_path: Path
) -> None:
    brighton, oxford = world.orgs["brighton-bcrp"], world.orgs["oxford-bcrp"]
    danny = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=brighton,
        partnership=brighton,
        given_name="Danny",
        family_name="Fletcher",
        date_of_birth=dt.date(1991, 3, 2),
    )
    person_create(
        viewer=world.viewer("unconnected_partnership_manager"),
        owner_org=oxford,
        partnership=oxford,
        given_name="Danny",
        family_name="Fletcham",
    )
    world.report("other_store_reporter", "nw-hove", offenders=[OffenderInput(person_id=danny.pk)])
    photo = tmp_path / "after-the-event.jpg"
    Image.new("RGB", (1200, 900), (30, 120, 60)).save(photo, "JPEG", quality=85)

    page = open_browser("phone")
    sign_in_as(page, live_server.url, "reporter", world)
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    check_page(page, console_errors)

    # File a report, naming the known person through the picker.
    page.get_by_label("Theft (shoplifting)").check()
    page.get_by_label("Tell us what happened").fill("Filled a bag with razor blades and ran out.")
    page.get_by_text("Who did it, and any vehicle (optional)").click()
    picker = page.get_by_role("combobox", name="Known person (optional)")
    picker.press_sequentially("danny", delay=40)
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)
    option = options.first
    expect(option).to_contain_text("Danny Fletcher")
    expect(option).to_contain_text("born 1991")
    expect(option).to_contain_text("last seen at Nw Hove")
    expect(picker).to_have_attribute("aria-expanded", "true")
    box = option.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    check_page(page, console_errors)
    option.click()
    expect(picker).to_have_value("Danny Fletcher")
    expect(picker).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    reference = page.locator("#reference").inner_text().strip()
    incident = Incident.objects.get(reference=reference)
    assert [o.person_id for o in incident.offenders.all()] == [danny.pk]
    check_page(page, console_errors)

    # See my reports and open the one just sent.
    page.get_by_role("link", name="Incidents", exact=True).click()
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    expect(page.get_by_text("Danny Fletcher")).to_be_visible()
    check_page(page, console_errors)

    # Add a photo to the sent report, from the same page.
    page.get_by_label("Files to send").set_input_files(str(photo))
    page.get_by_role("button", name="Send files").click()
    expect(page.get_by_text("Received and kept as evidence")).to_be_visible(timeout=20_000)
    stored = EvidenceFile.objects.get(incident=incident)
    assert stored.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    check_page(page, console_errors)

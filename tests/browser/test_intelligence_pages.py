"""Partnership intelligence on a phone: a store colleague checks the gallery and suggests who someone is; a
partnership manager grades the suggestion, issues an exclusion notice and opens the data-protection page.

Every page is checked with axe-core (no serious or critical violations), for sideways scrolling at 390 px, and
for Content-Security-Policy errors. Nothing here is timed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from shopwatch.intelligence.models import ExclusionNotice, GalleryEntry, IntelligenceReport, IntelStatus
from shopwatch.intelligence.services.galleries import gallery_add_person
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.services import person_photo_add
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, CspWatch
from tests.browser.test_report_journey import sign_in
from tests.core.support import confirmed_device, current_code
from tests.world import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def check(page: Page) -> None:
    """Accessible, and no sideways scrolling on a 390 px phone."""
    assert_accessible(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px wide)"


def _photo() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), (90, 70, 160)).save(buf, "JPEG", quality=85)
    buf.seek(0)
    return buf


def _gallery(world: World) -> GalleryEntry:
    """Brighton BCRP's gallery: three people, one with a photo, one whose identity is sought."""
    pm = world.viewer("partnership_manager")
    bcrp = world.orgs["brighton-bcrp"]
    kyle = gallery_add_person(
        viewer=pm,
        partnership=bcrp,
        given_name="Kyle",
        family_name="Marsh",
        date_of_birth=dt.date(1990, 5, 1),
        description="Tall, grey hoodie, walks with a limp",
        reason="Repeated thefts of steak from the chillers",
    )
    person_photo_add(viewer=pm, person=kyle.person, fileobj=_photo(), filename="kyle.jpg")
    gallery_add_person(
        viewer=pm,
        partnership=bcrp,
        given_name="Tara",
        family_name="Wynn",
        date_of_birth=None,
        description="Short, red coat",
        reason="Threatened staff at the tills",
    )
    gallery_add_person(
        viewer=pm,
        partnership=bcrp,
        given_name="",
        family_name="",
        date_of_birth=None,
        description="Man in his 30s, tattoo of a swallow on his neck",
        reason="Took a till drawer on 3 May",
        id_sought=True,
    )
    return kyle


def _sign_in_with_code(page: Page, base: str, user: str, world: World) -> None:
    """Password, then a code from the authenticator app the manager already set up."""
    device = confirmed_device(world.users[user])
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email address").fill(f"{user}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    check(page)
    page.get_by_label("6-digit code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_gallery_help_identify_grading_exclusion_and_data_protection_on_a_phone(
    live_server: Any, world: World, new_phone_page: Callable[[], Page], csp_watch: CspWatch
) -> None:
    base = live_server.url
    kyle = _gallery(world)
    incident = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=kyle.person.pk)])

    # A store colleague opens their partnership's gallery.
    colleague = new_phone_page()
    sign_in(colleague, base, "reporter")
    colleague.goto(f"{base}/intelligence/galleries/")
    expect(colleague.get_by_role("heading", name="Who to look out for")).to_be_visible()
    check(colleague)
    colleague.get_by_role("link", name="Brighton BCRP").click()
    expect(colleague.get_by_role("heading", name="Brighton BCRP: people to look out for")).to_be_visible()
    expect(colleague.get_by_role("link", name="Kyle Marsh")).to_be_visible()
    expect(colleague.get_by_role("link", name="Tara Wynn")).to_be_visible()
    expect(colleague.get_by_text("ID sought")).to_be_visible()
    photo = colleague.get_by_role("img", name="Photo of Kyle Marsh")
    photo.scroll_into_view_if_needed()  # gallery photos load lazily
    colleague.wait_for_function("() => [...document.querySelectorAll('.gallery img')].every(i => i.complete)")
    assert photo.evaluate("img => img.naturalWidth") == 300
    check(colleague)

    # Opens an entry and suggests who an unidentified associate is: first empty, then properly.
    colleague.get_by_role("link", name="Kyle Marsh").click()
    expect(colleague.get_by_role("heading", name="Kyle Marsh")).to_be_visible()
    expect(colleague.get_by_text("Repeated thefts of steak from the chillers")).to_be_visible()
    check(colleague)
    colleague.get_by_role("button", name="Send suggestion").click()
    expect(colleague.get_by_role("alert")).to_be_visible()
    check(colleague)
    assert not IntelligenceReport.objects.exists()
    colleague.get_by_label("Who do you think this is, and why?").fill(
        "He goes by Kyle Marsh but his real name is Kyle Marshall; he used to work at the market"
    )
    colleague.get_by_label("How you know (kept from everyone but the grader) (optional)").fill(
        "My brother-in-law Gareth Pryce worked with him"
    )
    colleague.get_by_role("button", name="Send suggestion").click()
    expect(colleague.locator(".messages")).to_contain_text("A partnership manager or the police will review")
    check(colleague)
    suggestion = IntelligenceReport.objects.get()
    assert suggestion.kind == "identification"
    assert suggestion.person_id == kyle.person.pk

    # The partnership manager signs in with a two-factor code and grades it.
    manager = new_phone_page()
    _sign_in_with_code(manager, base, "partnership_manager", world)
    manager.goto(f"{base}/intelligence/")
    check(manager)
    manager.get_by_role("link", name="1 submission waiting to be graded").click()
    expect(manager.get_by_role("heading", name="Intelligence waiting to be graded")).to_be_visible()
    check(manager)
    manager.get_by_role("link", name="Who an unidentified person is (help identify)").click()
    expect(manager.get_by_role("heading", name="Grade intelligence (3x5x2)")).to_be_visible()
    expect(manager.get_by_text("My brother-in-law Gareth Pryce worked with him")).to_be_visible()
    check(manager)
    # Sharing text that still names the source is refused, with the reason beside the field.
    manager.get_by_label("2 Untested").check()
    manager.get_by_label("B Known indirectly but corroborated").check()
    manager.get_by_label("P Lawful sharing permitted", exact=True).check()
    manager.get_by_label("Text to share (nothing that identifies the source)").fill(
        "Gareth Pryce says the subject's real surname may be Marshall."
    )
    manager.get_by_role("button", name="Grade and share").click()
    expect(manager.get_by_role("alert")).to_contain_text("still identifies the source")
    check(manager)
    manager.get_by_label("Text to share (nothing that identifies the source)").fill(
        "The subject's real surname may be Marshall; he may have worked at a local market."
    )
    manager.get_by_role("button", name="Grade and share").click()
    expect(manager.locator(".messages")).to_contain_text("Graded 2BP")
    check(manager)
    suggestion.refresh_from_db()
    assert suggestion.status == IntelStatus.GRADED
    assert suggestion.grading == "2BP"

    # Warnings and exclusions: an exclusion notice, first with mistakes, then properly.
    manager.goto(f"{base}/intelligence/galleries/")
    manager.get_by_role("link", name="Warnings and exclusions").click()
    expect(manager.get_by_role("heading", name="Brighton BCRP: warnings and exclusions")).to_be_visible()
    check(manager)
    manager.get_by_text("Issue a warning letter").click()
    expect(manager.get_by_role("button", name="Issue warning letter")).to_be_visible()
    check(manager)
    manager.get_by_text("Issue an exclusion notice").click()
    panel = manager.locator("details", has_text="Issue an exclusion notice")
    check(manager)
    today = timezone.localdate()
    person = panel.get_by_role("combobox", name="Person")
    person.press_sequentially("kyle m", delay=40)
    expect(manager.get_by_role("option").filter(has_text=kyle.person.display_name)).to_have_count(1)
    person.press("ArrowDown")
    person.press("Enter")
    expect(person).to_have_value(kyle.person.display_name)
    panel.get_by_label("Starts on").fill(today.isoformat())
    panel.get_by_label("Ends on (12 months if left empty) (optional)").fill(
        (today - dt.timedelta(days=1)).isoformat()
    )
    panel.get_by_label("Handed over in person").check()
    panel.get_by_label("When it was served").fill(
        (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    panel.get_by_label("Served by").fill("PCSO Jones")
    panel.get_by_label("Incident references relied on").fill(incident.reference)
    panel.get_by_role("button", name="Issue exclusion notice").click()
    expect(manager.get_by_role("alert")).to_contain_text("The exclusion must end after it starts.")
    check(manager)
    assert not ExclusionNotice.objects.exists()
    panel = manager.locator("details", has_text="Issue an exclusion notice")
    panel.get_by_label("Ends on (12 months if left empty) (optional)").fill("")
    panel.get_by_label("Conditions (optional)").fill("Not to enter any member store of Brighton BCRP")
    panel.get_by_role("button", name="Issue exclusion notice").click()
    expect(manager.locator(".messages")).to_contain_text("Exclusion notice issued.")
    check(manager)
    notice = ExclusionNotice.objects.get()
    assert notice.person_id == kyle.person.pk
    assert list(notice.evidence.values_list("pk", flat=True)) == [incident.pk]

    # Data protection: settings, what the next retention run will do, subject access and erasure.
    manager.goto(f"{base}/intelligence/partnerships/brighton-bcrp/data-protection/")
    expect(manager.get_by_role("heading", name="Brighton BCRP: data protection")).to_be_visible()
    expect(manager.get_by_role("heading", name="What the next retention run will do")).to_be_visible()
    expect(manager.get_by_role("link", name="Download everything held (ZIP)")).to_have_count(3)
    expect(manager.get_by_label("Reason for erasing Kyle Marsh")).to_be_attached()
    check(manager)

    # Adding a person: the form, and its error summary when sent empty.
    manager.goto(f"{base}/intelligence/galleries/brighton-bcrp/add/")
    check(manager)
    manager.get_by_role("button", name="Add to the gallery").click()
    expect(manager.get_by_role("alert")).to_be_visible()
    check(manager)

    # A member of a connected partnership sees the photo but not the name (Brighton shares images only).
    neighbour = new_phone_page()
    sign_in(neighbour, base, "connected_reporter")
    neighbour.goto(f"{base}/intelligence/galleries/brighton-bcrp/")
    anonymous = f"Person {kyle.pk}"
    expect(neighbour.get_by_role("link", name=anonymous)).to_be_visible()
    expect(neighbour.get_by_text("Kyle Marsh")).to_have_count(0)
    photo = neighbour.get_by_role("img", name=f"Photo of {anonymous}")
    photo.scroll_into_view_if_needed()
    neighbour.wait_for_function("() => [...document.querySelectorAll('.gallery img')].every(i => i.complete)")
    assert photo.evaluate("img => img.naturalWidth") == 300
    check(neighbour)
    neighbour.get_by_role("link", name=anonymous).click()
    expect(neighbour.get_by_role("heading", name=anonymous)).to_be_visible()
    expect(neighbour.get_by_text("Repeated thefts of steak")).to_have_count(0)
    expect(neighbour.get_by_role("button", name="Send suggestion")).to_have_count(0)
    check(neighbour)

    assert csp_watch.errors == []

"""A partnership manager at desktop size, by clicking from the first page: add a person to the gallery, and
again under a name the partnership already holds (the merge offer, not an error); issue an exclusion notice
picking the person by name, relying on an incident reference typed as printed; confirm a member's
help-identify suggestion, which proposes a link for an analyst to review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shopwatch.intelligence.models import ExclusionNotice, SubjectKind
from shopwatch.intelligence.services.galleries import gallery_add_person
from shopwatch.intelligence.services.graded import intelligence_submit
from shopwatch.linking.models import LinkProposal, ProposalSource
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def test_partnership_manager_lists_excludes_and_confirms_an_identification(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    brighton = world.orgs["brighton-bcrp"]
    manager = world.viewer("partnership_manager")
    kyle = gallery_add_person(
        viewer=manager,
        partnership=brighton,
        given_name="Kyle",
        family_name="Marsh",
        date_of_birth=None,
        description="Tall, grey hoodie",
        reason="Repeated thefts of meat",
    ).person
    sought = gallery_add_person(
        viewer=manager,
        partnership=brighton,
        given_name="",
        family_name="",
        date_of_birth=None,
        description="Red cap, scar on the left cheek",
        reason="Theft of whisky",
        id_sought=True,
    ).person
    intelligence_submit(
        viewer=world.viewer("reporter"),
        partnership=brighton,
        kind=SubjectKind.IDENTIFICATION,
        person_id=sought.pk,
        suggested_person_id=kyle.pk,
        text="I think the man in the red cap is Kyle Marsh: same scar",
    )
    incident = world.report("reporter", "nw-brighton", description="Took steaks, pushed past staff")

    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "partnership_manager", world)
    check_page(page, console_errors)

    # Add a person to the gallery.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
    page.get_by_role("link", name="Add a person").first.click()
    expect(page.get_by_role("heading", name="Add a person to the Brighton BCRP gallery")).to_be_visible()
    check_page(page, console_errors)
    page.get_by_label("First name").fill("Lee")
    page.get_by_label("Last name").fill("Hart")
    page.get_by_label("Why they are listed").fill("Threatened staff with a bottle")
    page.get_by_role("button", name="Add to the gallery").click()
    expect(page.get_by_text("Lee Hart is on the gallery.")).to_be_visible()
    check_page(page, console_errors)

    # Again under a name the partnership already holds: the merge offer, not a server error.
    page.get_by_role("link", name="Add a person").first.click()
    page.get_by_label("First name").fill("Kyle")
    page.get_by_label("Last name").fill("Marsh")
    page.get_by_label("Why they are listed").fill("Seen again at the Hove store")
    page.get_by_role("button", name="Add to the gallery").click()
    expect(page.get_by_role("heading", name="The partnership may already hold this person")).to_be_visible()
    check_page(page, console_errors)

    # Issue an exclusion notice, picking the person by name.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
    page.get_by_role("link", name="Warnings and exclusions").click()
    check_page(page, console_errors)
    page.get_by_text("Issue an exclusion notice").click()
    notice_form = page.locator("form").filter(has=page.locator('input[name="form"][value="exclusion"]'))
    person = notice_form.get_by_role("combobox", name="Person")
    person.press_sequentially("kyle m", delay=40)
    option = page.get_by_role("option").filter(has_text="Kyle Marsh")
    expect(option).to_have_count(1)
    check_page(page, console_errors)
    person.press("ArrowDown")
    person.press("Enter")
    expect(person).to_have_value("Kyle Marsh")
    notice_form.get_by_label("By post").check()
    notice_form.get_by_label("When it was served").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    notice_form.get_by_label("Served by").fill("PCSO Jones")
    notice_form.get_by_label("Incident references relied on").fill(
        incident.reference.lower().replace("-", "")
    )
    notice_form.get_by_label("Starts on").fill(timezone.localdate().isoformat())
    notice_form.get_by_role("button", name="Issue exclusion notice").click()
    expect(page.get_by_text("Exclusion notice issued.")).to_be_visible()
    notice = ExclusionNotice.objects.get()
    assert notice.person == kyle
    assert list(notice.evidence.all()) == [incident]
    check_page(page, console_errors)

    # Confirm the member's help-identify suggestion from the grading queue.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
    page.get_by_role("link", name="Intelligence: tell the partnership what you know").click()
    page.get_by_role("link", name="1 submission waiting to be graded").click()
    check_page(page, console_errors)
    page.get_by_role("link", name="Who an unidentified person is (help identify)").click()
    expect(page.get_by_role("heading", name="Confirm who this is")).to_be_visible()
    expect(page.get_by_role("combobox", name="This is")).to_have_value("Kyle Marsh")
    check_page(page, console_errors)
    page.get_by_label("Why you are confident it is them").fill("Same scar and red cap; PCSO Jones knows him")
    page.get_by_role("button", name="Confirm the identification").click()
    expect(page.get_by_text("Confirmed as Kyle Marsh by Partnership Manager")).to_be_visible()
    proposal = LinkProposal.objects.get()
    assert {proposal.person_a_id, proposal.person_b_id} == {sought.pk, kyle.pk}
    assert proposal.source == ProposalSource.HELP_IDENTIFY
    check_page(page, console_errors)

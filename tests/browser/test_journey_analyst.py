"""The analyst's day, at desktop size in Chromium, from the first page after sign-in and only by clicking:
the cross-force view, a link proposal reviewed and decided, an organised group's network opened and its
intelligence package downloaded. Every page is checked with axe-core, for console errors and for sideways
scroll."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import pytest
from playwright.sync_api import expect

from shopwatch.core.models import Distribution
from shopwatch.linking.models import LinkProposal, ProposalStatus
from shopwatch.linking.services import link_run
from shopwatch.reporting.services import OffenderInput, VehicleInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.browser.journeys import ConsoleErrors, Opener, check_page, sign_in_as
from tests.linking.conftest import file_people
from tests.world import World

pytestmark = pytest.mark.browser


def _person(world: World, given: str, family: str, dob: dt.date) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        distribution=Distribution.POLICE,
    )


def _work(world: World) -> None:
    """People entered by several partnerships (some twice), and three who offend together across two forces
    in the same car, then the nightly linking run."""
    file_people(world, 60)
    lewis = _person(world, "Lewis", "Marsh", dt.date(1990, 4, 12))
    tyler = _person(world, "Tyler", "Quinn", dt.date(1987, 9, 30))
    ricky = _person(world, "Ricky", "Stone", dt.date(1993, 2, 17))
    for store, people in (
        ("nw-brighton", [lewis, tyler]),
        ("nw-oxford", [tyler, ricky]),
        ("nw-brighton", [ricky, lewis]),
    ):
        world.report(
            "security",
            store,
            distribution=Distribution.POLICE,
            offenders=[OffenderInput(person_id=p.pk) for p in people],
            vehicles=[VehicleInput(registration="GX19 KLM")],
            goods_value=85,
        )
    link_run()


def test_analyst_reviews_a_proposal_opens_a_group_and_downloads_its_package(
    live_server: Any, world: World, open_browser: Opener, console_errors: ConsoleErrors
) -> None:
    _work(world)
    page = open_browser("desktop")
    sign_in_as(page, live_server.url, "analyst_sussex", world)

    # The first page: real work across forces, none of it empty.
    expect(page.get_by_role("heading", name="Cross-force view", exact=True)).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile(r"^Link proposals awaiting review \(\d+\)"))
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Organised groups (1)")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Tyler Quinn")).to_be_visible()
    check_page(page, console_errors)

    # Review the likeliest proposal and decide it.
    proposals = page.get_by_role("region", name=re.compile(r"^Link proposals awaiting review"))
    proposals.get_by_role("listitem").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Are these the same person?")).to_be_visible()
    expect(page.locator("figure.waterfall svg")).to_be_visible()
    check_page(page, console_errors)
    proposal = LinkProposal.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[-1]))
    assert proposal.status == ProposalStatus.PROPOSED
    page.get_by_label("Accept: the same person").check()
    page.get_by_label("Reason").fill("Same name and date of birth, entered by two partnerships")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Link accepted.")).to_be_visible()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    check_page(page, console_errors)

    # Back to the first page: an organised group's network.
    page.get_by_role("link", name="Cross-force view").click()
    expect(page.get_by_role("heading", name="Cross-force view", exact=True)).to_be_visible()
    check_page(page, console_errors)
    page.get_by_role("link", name=re.compile(r"^Group g\d+: 3 people")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Organised group g\d+"))).to_be_visible()
    expect(page.locator("svg.network")).to_be_visible()
    expect(page.get_by_role("link", name="GX19KLM")).to_be_visible()
    check_page(page, console_errors)

    # Its intelligence package, sanitised to the receiving force.
    page.get_by_label("Send to").select_option(label="Sussex Police")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the package").click()
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["receiver"]["slug"] == "sussex"
        assert "Tyler" in archive.read("members.csv").decode()
    check_page(page, console_errors)

"""In Chromium at phone size, an analyst reviews a link proposal with its explanation (the waterfall chart
and its table), records a decision with a reason (first without one: the error is by the field), then opens
an organised group's network and downloads its intelligence package. Every page is audited with axe-core
under the pages' real Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from shopwatch.core.models import Distribution
from shopwatch.linking.models import LinkProposal, ProposalStatus
from shopwatch.linking.services import link_run
from shopwatch.reporting.services import OffenderInput, VehicleInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, CspWatch
from tests.core.support import confirmed_device, current_code
from tests.linking.conftest import file_people
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser


def check(page: Page) -> None:
    assert_accessible(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px wide)"


def sign_in_with_code(page: Page, base: str, user: str, world: World) -> None:
    device = confirmed_device(world.users[user])
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email address").fill(f"{user}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("6-digit code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _person(world: World, given: str, family: str, dob: dt.date | None = None) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        distribution=Distribution.POLICE,
    )


def test_an_analyst_reviews_a_proposal_decides_and_exports_a_groups_package(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch
) -> None:
    file_people(world, 60)
    lewis = _person(world, "Lewis", "Marsh", dt.date(1990, 4, 12))
    again = _person(world, "Lewis", "Marsh", dt.date(1990, 4, 12))  # entered twice
    tyler = _person(world, "Tyler", "Quinn", dt.date(1987, 9, 30))
    ricky = _person(world, "Ricky", "Stone", dt.date(1993, 2, 17))
    for store, people in (
        ("nw-brighton", [lewis, tyler]),
        ("nw-hove", [tyler, ricky]),
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
    proposal = LinkProposal.objects.get(person_a=min(lewis.pk, again.pk), person_b=max(lewis.pk, again.pk))

    page = phone_context.new_page()
    base = live_server.url
    sign_in_with_code(page, base, "analyst_sussex", world)
    page.get_by_role("link", name="Links").click()
    expect(page.get_by_role("heading", name="Link proposals", exact=True)).to_be_visible()
    check(page)

    page.get_by_role("link", name="Lewis Marsh and Lewis Marsh").click()
    expect(page.get_by_role("heading", name="Are these the same person?")).to_be_visible()
    chart = page.locator("figure.waterfall svg")
    expect(chart).to_be_visible()
    assert "match weight" in (chart.get_attribute("aria-label") or "")
    expect(page.get_by_role("rowheader", name="date_of_birth")).to_be_visible()
    check(page)

    # Without a reason: the error is shown by the field and nothing is decided.
    page.get_by_label("Accept: the same person").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#reason-error")).to_be_visible()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED
    check(page)

    page.get_by_label("Accept: the same person").check()
    page.get_by_label("Reason").fill("Same date of birth and custody image: one man entered twice")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Link accepted.")).to_be_visible()
    expect(page.get_by_text("Accepted by Analyst Sussex")).to_be_visible()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    check(page)

    # The organised group: its network picture, then the package for Sussex Police.
    page.get_by_role("link", name="Organised groups").click()
    page.get_by_role("link", name=re.compile(r"^Group g\d+")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Organised group g\d+"))).to_be_visible()
    expect(page.locator("svg.network")).to_be_visible()
    expect(page.get_by_role("link", name="GX19KLM")).to_be_visible()
    check(page)
    page.get_by_label("Send to").select_option(label="Sussex Police")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the package").click()
    path = download.value.path()
    with zipfile.ZipFile(io.BytesIO(open(path, "rb").read())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["receiver"]["slug"] == "sussex"
        assert "Tyler" in archive.read("members.csv").decode()
    assert not csp_watch.errors, csp_watch.errors

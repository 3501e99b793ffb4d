"""In Chromium, an investigator searches a still, reviews the candidates side by side and records a decision.

Every page on the way is audited with axe-core, under the pages' real Content-Security-Policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from shopwatch.faces.models import FaceDecision, FaceSearch
from shopwatch.faces.services import face_encodings_refresh
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, CspWatch
from tests.core.support import confirmed_device, current_code
from tests.faces.conftest import Faces, face_bytes
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


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


def test_an_investigator_searches_a_still_reviews_candidates_side_by_side_and_decides(
    live_server: Any, world: World, faces: Faces, phone_context: BrowserContext, csp_watch: CspWatch
) -> None:
    wanted = faces.person(2, name="Jordan")
    faces.person(6, name="Alex")
    face_encodings_refresh()
    still = faces.still(face_bytes(2, mirror=True), name="till-camera-still.jpg")

    page = phone_context.new_page()
    sign_in_with_code(page, live_server.url, "police_sussex", world)
    page.goto(f"{live_server.url}/faces/")
    expect(page.get_by_role("heading", name="Face search", exact=True)).to_be_visible()
    check(page)

    # Sent without a purpose: the error is by the field, nothing is searched.
    page.get_by_label(f"{still.incident.reference} · till-camera-still.jpg").check()
    page.get_by_role("button", name="Search faces").click()
    expect(page.locator("#purpose-error")).to_be_visible()
    assert not FaceSearch.objects.exists()
    check(page)

    page.get_by_label(f"{still.incident.reference} · till-camera-still.jpg").check()
    purpose = page.get_by_label("Purpose (the offence or enquiry this search is for)")
    purpose.fill("Theft 47/1234, razor blades")
    page.get_by_role("button", name="Search faces").click()
    search = FaceSearch.objects.get()
    expect(page.get_by_role("heading", name=f"Face search {search.pk}")).to_be_visible()
    expect(page.get_by_text("These are candidates for you to review, not identifications.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Candidate 1: {wanted.display_name}")).to_be_visible()
    expect(page.get_by_text("Candidate 2")).to_have_count(0)
    # The still's face and the candidate's face are both shown, side by side in one card.
    for name in ("The face in the searched still", f"Candidate 1, {wanted.display_name}"):
        image = page.get_by_role("img", name=name)
        expect(image).to_be_visible()
        image.scroll_into_view_if_needed()
        # Waits for the picture itself (a crop made on request): it must load, not only be laid out.
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    check(page)

    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Pick a decision.")).to_be_visible()
    check(page)
    page.get_by_label(f"Match: candidate 1, {wanted.display_name}").check()
    page.get_by_label("Reason").fill("Same scar through the left eyebrow and the same ear shape")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Your decision is recorded.")
    expect(page.get_by_text("The reviewers found a match.")).to_be_visible()
    check(page)
    # Only now may a person record that the still shows the candidate, and only by choosing to.
    page.get_by_role("button", name=f"Record that the still shows {wanted.display_name}").click()
    linked = f"The still is recorded as showing {wanted.display_name}."
    expect(page.get_by_role("status")).to_contain_text(linked)
    check(page)

    decision = FaceDecision.objects.get()
    assert (decision.outcome, decision.candidate.person_id) == ("match", wanted.pk)  # type: ignore[union-attr]
    assert decision.reviewer_id == world.users["police_sussex"].pk
    assert csp_watch.errors == []

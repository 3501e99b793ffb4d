"""After `shopwatch seed` and `shopwatch link run`, Opal's demo analyst sees cross-force proposals and an
organised group across both forces; a store reporter sees none of it."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from shopwatch.core.entitlements import viewer_for
from shopwatch.core.models import User
from shopwatch.linking import network, selectors
from shopwatch.linking.models import LinkProposal


@pytest.fixture(scope="module")
def linked(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("seed", incidents=1500, seed=5, stdout=StringIO())
        call_command("link_run", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _viewer(local: str):  # type: ignore[no-untyped-def]
    return viewer_for(User.objects.get(email=f"{local}@demo.shopwatch.test"))


def test_the_demo_analyst_sees_cross_force_proposals_and_a_reporter_none(linked: None, db: None) -> None:
    analyst = _viewer("analyst")
    proposals = selectors.proposal_list(viewer=analyst, limit=500)
    assert proposals
    forces = [
        {
            p.person_a.partnership.force_id if p.person_a.partnership else None,
            p.person_b.partnership.force_id if p.person_b.partnership else None,
        }
        for p in proposals
    ]
    assert any(len(f - {None}) == 2 for f in forces), "no proposal across the force border"
    assert all(p.explanation for p in proposals)
    assert selectors.proposal_list(viewer=_viewer("reporter")) == []
    assert selectors.link_hits(viewer=_viewer("reporter")) == []
    assert LinkProposal.objects.count() >= len(proposals)


def test_partnership_records_get_a_hit_naming_the_other_holder(linked: None, db: None) -> None:
    hits = selectors.link_hits(viewer=_viewer("partnership"))
    assert hits
    # The other records are held elsewhere (Oxford BCRP, or a retailer's own team), never by themselves.
    assert "brighton-bcrp" not in {h.contact_slug for h in hits}
    assert all(h.contact_name for h in hits)


def test_the_demo_analyst_sees_the_travelling_group_across_both_forces(linked: None, db: None) -> None:
    groups = network.organised_groups(network.load([_viewer("analyst")]))
    assert groups
    top = max(groups, key=lambda g: len(g.footprint))
    assert len(top.footprint) == 2
    assert top.vehicles
    assert top.reasons["co-offending"] > 0


def test_get_links_answers_the_analyst_with_proposals_and_the_reporter_with_none(
    linked: None, db: None
) -> None:
    from django.test import Client

    from shopwatch.core.apikeys import apikey_create

    answers = {}
    for local in ("analyst", "reporter"):
        user = User.objects.get(email=f"{local}@demo.shopwatch.test")
        key = apikey_create(viewer=_viewer(local), user=user, name="contract check")
        response = Client().get("/api/v1/links", headers={"Authorization": f"Bearer {key.secret}"})
        assert response.status_code == 200
        answers[local] = response.json()
    items = answers["analyst"]["items"]
    assert items
    for item in items:
        assert 0 <= item["probability"] <= 1
        assert item["status"] in {"proposed", "accepted", "rejected"}
        assert item["explanation"]
        assert all("match_weight" in e and e["field"] for e in item["explanation"])
    assert answers["reporter"] == {"items": [], "next": None}


def test_the_demo_analysts_first_page_is_the_cross_force_view_with_work_in_each_section(
    linked: None, db: None
) -> None:
    from django.test import Client

    from tests.core.support import sign_in_verified

    client = Client()
    sign_in_verified(client, User.objects.get(email="analyst@demo.shopwatch.test"))
    first = client.get("/", follow=True)
    assert first.redirect_chain[-1][0] == "/links/overview/"
    html = first.content.decode()
    assert "Sussex Police" in html
    assert "Thames Valley Police" in html
    for empty in (
        "No proposals wait for a decision",
        "No groups among the incidents shared with you",
        "No offenders with incidents shared with you",
    ):
        assert empty not in html
    assert html.count('href="/links/groups/') >= 1
    assert 'href="/people/' in html  # prolific offenders, each a link to their record

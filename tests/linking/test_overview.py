"""The analyst's first page: the cross-force view of proposals awaiting review, organised groups and
prolific offenders, from real reports and a real linking run."""

from __future__ import annotations

import pytest

from shopwatch.core.models import AuditEvent, User
from shopwatch.linking.models import LinkProposal, ProposalStatus
from shopwatch.linking.services import link_run
from tests.linking.conftest import file_people
from tests.linking.test_groups import Gang, _signed_in, gang  # noqa: F401 (the fixture)
from tests.world import World

pytestmark = pytest.mark.django_db


def test_an_analyst_starts_on_the_cross_force_view_with_real_work(world: World, gang: Gang) -> None:  # noqa: F811
    file_people(world, 60)  # fake_1000's people, some entered more than once
    link_run()
    waiting = LinkProposal.objects.filter(status=ProposalStatus.PROPOSED).count()
    assert waiting

    client = _signed_in(User.objects.get(pk=world.users["national_analyst"].pk))
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/links/overview/"
    page = client.get("/links/overview/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cross-force view" in html
    assert "Link proposals awaiting review (" in html
    # The likeliest proposals first, each a link to review it, and the way to all of them.
    top = LinkProposal.objects.filter(status=ProposalStatus.PROPOSED).order_by("-probability", "id").first()
    assert top is not None
    assert f'href="/links/{top.pk}/"' in html
    assert f"Link proposals awaiting review ({waiting})" in html
    assert f"All {waiting} proposals awaiting review" in html
    assert "Organised groups (1)" in html
    assert "Sussex Police (1), Thames Valley Police (1)" in html  # the group's footprint across forces
    assert "Tyler Quinn" in html  # a prolific offender
    assert "Hidden" not in html  # kept to its partnership: never for police
    audit = AuditEvent.objects.filter(object_type="link_overview").get()
    assert audit.detail["persons"]

    # Store staff see nothing of linking: the same 404 as a missing page.
    reporter = _signed_in(User.objects.get(pk=world.users["reporter"].pk))
    assert reporter.get("/links/overview/").status_code == 404

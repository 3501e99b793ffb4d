"""Dashboards by role: what each may open, what each counts, suppression for PCC offices, exports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.core.models import AuditEvent, Distribution
from shopwatch.insights.scopes import available_scopes, scope_for
from shopwatch.insights.selectors import dashboard, default_period
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.services import person_create
from tests.core.support import sign_in_verified
from tests.shared_data import DATA as SHARED_DATA
from tests.world import World

POLICE_UK = SHARED_DATA / "police-uk" / "street" / "2024-01"


def _seed(world: World) -> None:
    now = timezone.now()
    for i in range(12):
        world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=i * 3))
    for i in range(3):
        world.report(
            "same_partnership_reporter",
            "corner-brighton",
            occurred_at=now - dt.timedelta(days=i),
            distribution=Distribution.ORGANISATION,
        )
    world.report("same_partnership_reporter", "corner-brighton", report_to_police=True)
    world.report("unconnected_reporter", "oxshop-oxford")


def _total(world: World, user: str, kind: str, key: str) -> str:
    viewer = world.viewer(user)
    board = dashboard(viewer=viewer, scope=scope_for(viewer, kind, key), period=default_period())
    return board.totals["incidents"].display


@pytest.mark.django_db
def test_each_role_gets_its_own_dashboards(world: World) -> None:
    kinds = {u: {(s.kind, s.key) for s in available_scopes(world.viewer(u))} for u in world.users}
    assert ("store", str(world.stores["nw-brighton"].pk)) in kinds["manager"]
    assert kinds["security"] == {("retailer", "northway")}
    assert ("partnership", "brighton-bcrp") in kinds["partnership_manager"]
    assert ("force", "sussex") in kinds["police_sussex"]
    assert kinds["pcc"] == {("pcc", "sussex-pcc")}
    assert kinds["navigator"] == set()
    assert ("partnership", "brighton-bcrp") not in kinds["unconnected_partnership_manager"]


@pytest.mark.django_db
def test_counts_follow_what_each_dashboard_may_count(world: World) -> None:
    _seed(world)
    assert _total(world, "manager", "store", str(world.stores["nw-brighton"].pk)) == "12"
    # The partnership counts what its stores shared with it: not the three organisation-only reports.
    assert _total(world, "partnership_manager", "partnership", "brighton-bcrp") == "13"
    # The force counts only what was sent to it.
    assert _total(world, "police_sussex", "force", "sussex") == "1"
    # The PCC office sees its whole force area in aggregate.
    assert _total(world, "pcc", "pcc", "sussex-pcc") == "16"


@pytest.mark.django_db
def test_pcc_small_counts_are_suppressed_and_no_people_shown(world: World) -> None:
    _seed(world)
    pm = world.viewer("partnership_manager")
    person = person_create(
        viewer=pm, owner_org=world.orgs["brighton-bcrp"], given_name="Kyle", family_name="Marsh"
    )
    world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    viewer = world.viewer("pcc")
    board = dashboard(viewer=viewer, scope=scope_for(viewer, "pcc", "sussex-pcc"), period=default_period())
    assert board.totals["sent_to_police"].display == "<5"
    assert board.totals["sent_to_police"].suppressed
    assert all(f.display in ("0", "<5") for row in board.heatmap for f in row)
    assert board.top_offenders == []
    # The partnership manager sees the same person in the top ten, and the listing is audited.
    board = dashboard(viewer=pm, scope=scope_for(pm, "partnership", "brighton-bcrp"), period=default_period())
    assert [p.pk for p, _ in board.top_offenders] == [person.pk]
    assert AuditEvent.objects.filter(
        actor=world.users["partnership_manager"], object_type="person", action="list"
    ).exists()


@pytest.mark.django_db
def test_dashboard_pages_and_exports(world: World, client: Client) -> None:
    _seed(world)
    sign_in_verified(client, world.users["partnership_manager"])
    page = client.get("/insights/partnership/brighton-bcrp/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "Most affected stores" in html
    csv_text = client.get("/insights/partnership/brighton-bcrp/export.csv").content.decode()
    assert "totals,Incidents,13" in csv_text.replace("\r", "")
    pdf = client.get("/insights/partnership/brighton-bcrp/export.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (
        AuditEvent.objects.filter(
            action="export", object_type="dashboard", actor=world.users["partnership_manager"]
        ).count()
        == 2
    )
    # Another partnership's dashboard is not there for this manager.
    assert client.get("/insights/partnership/oxford-bcrp/").status_code == 404
    bad = client.get("/insights/partnership/brighton-bcrp/?start=2025-05-01&end=2024-01-01")
    assert bad.status_code == 200
    assert "The start must be on or before the end." in bad.content.decode()


@pytest.mark.django_db
def test_police_recorded_shoplifting_comparison(world: World) -> None:
    from shopwatch.opendata.models import CrimeCount
    from shopwatch.opendata.services import police_uk_import

    police_uk_import(viewer=world.viewer("admin"), paths=[POLICE_UK / "2024-01-sussex-street.csv"])
    expected = sum(
        CrimeCount.objects.filter(force="sussex", crime_type__name="Shoplifting").values_list(
            "count", flat=True
        )
    )
    assert expected > 0
    viewer = world.viewer("police_sussex")
    board = dashboard(viewer=viewer, scope=scope_for(viewer, "force", "sussex"), period=default_period())
    row = next(r for r in board.police_comparison if r["month"] == dt.date(2024, 1, 1))
    assert row["police_recorded"] == expected
    assert board.outcome_mix
    assert sum(board.outcome_mix.values()) == expected

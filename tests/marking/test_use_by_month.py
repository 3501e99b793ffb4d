"""Marking use by month for the dashboards: kits issued, deployments and look-ups, in aggregate, for a
partnership's managers and a PCC office (counts under 5 hidden), and signage stores on the PCC's map."""

from __future__ import annotations

import contextlib

import pytest
from django.http import Http404
from django.utils import timezone

from shopwatch.core.models import AuditEvent
from shopwatch.marking import selectors, services
from tests.world import World

pytestmark = pytest.mark.django_db


def _kits(world: World, n: int) -> list[int]:
    ids = []
    for i in range(n):
        kit = services.kit_issue(
            viewer=world.viewer("manager"),
            store_id=world.stores["nw-brighton"].pk,
            product="smartwater",
            kind="spray",
            batch="B2025-17",
            code=f"SW-00{4100 + i}",
        )
        ids.append(kit.pk)
    return ids


def test_use_by_month_for_a_partnership_and_a_pcc_office(world: World) -> None:
    kits = _kits(world, 6)
    incident = world.report("reporter", "nw-brighton")
    for kit_id in kits[:3]:
        services.deployment_record(
            viewer=world.viewer("manager"),
            kit_id=kit_id,
            incident_id=incident.pk,
            deployed_by="Security officer",
            deployed_at=timezone.now(),
            target="person",
        )
    police = world.viewer("police_sussex")
    for code in ("SW-004100", "SW-004101", "SW-999999"):
        with contextlib.suppress(Http404):  # a miss belongs to no store's area: not counted
            selectors.code_lookup(viewer=police, code=code)
    month = timezone.localdate().replace(day=1)
    partnership = world.orgs["brighton-bcrp"]
    rows = selectors.use_by_month(viewer=world.viewer("partnership_manager"), partnership_id=partnership.pk)
    assert len(rows) == 12
    assert rows[-1].month == month
    assert (rows[-1].kits_issued, rows[-1].deployments, rows[-1].lookups) == (6, 3, 2)
    assert all(r.kits_issued == 0 for r in rows[:-1])
    # The PCC office sees its force area with counts under 5 hidden.
    pcc = selectors.use_by_month(viewer=world.viewer("pcc"))
    assert (pcc[-1].kits_issued, pcc[-1].deployments, pcc[-1].lookups) == (6, None, None)
    assert AuditEvent.objects.filter(object_type="marking_use", actor=world.users["pcc"]).exists()
    # Nobody else: a store reporter, another partnership's manager, police.
    for user, partnership_id in (
        ("reporter", partnership.pk),
        ("unconnected_partnership_manager", partnership.pk),
        ("police_sussex", None),
    ):
        with pytest.raises(Http404):
            selectors.use_by_month(viewer=world.viewer(user), partnership_id=partnership_id)


def test_signage_stores_in_the_pcc_force_area(world: World) -> None:
    services.signage_set(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        displayed=True,
    )
    names = [s.store.name for s in selectors.signage_list(viewer=world.viewer("pcc"))]
    assert names == [world.stores["nw-brighton"].name]
    assert selectors.signage_list(viewer=world.viewer("unconnected_reporter")) == []

"""The forensic-marking registry: issuing kits and ranges, deployments at the kit's own store, marked
property, signage, and who may see a kit or look up a code (permission-matrix style)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from shopwatch.core.errors import Conflict, NotEntitled, ValidationFailed
from shopwatch.core.models import AuditEvent
from shopwatch.marking import selectors, services
from shopwatch.marking.models import MarkingKit
from tests.world import World


def _kit(world: World, code: str = "SW-004100", last: str = "") -> MarkingKit:
    return services.kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        kind="spray",
        batch="B2025-17",
        code=code,
        last_code=last,
        issued_to="Security officer",
    )


def test_a_kit_with_a_range_is_found_by_any_code_in_it(world: World) -> None:
    kit = _kit(world, "SDNA-040100", "SDNA-040149")
    assert kit.code_label == "SDNA-040100 to SDNA-040149"
    police = world.viewer("police_sussex")
    assert selectors.code_lookup(viewer=police, code="sdna-040123").kit == kit
    assert selectors.code_lookup(viewer=police, code=" SDNA-040149 ").kit == kit
    with pytest.raises(Http404):
        selectors.code_lookup(viewer=police, code="SDNA-040150")
    with pytest.raises(Conflict):
        _kit(world, "SDNA-040140", "SDNA-040160")  # overlaps
    assert AuditEvent.objects.filter(object_type="marking_code", action="view").exists()  # misses too


def test_kit_fields_are_checked_one_by_one(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.kit_issue(
            viewer=world.viewer("manager"),
            store_id=world.stores["nw-brighton"].pk,
            product="glitter",
            kind="spray",
            batch="",
            code="SW-1",
            last_code="XX-9",
            issued_on=timezone.localdate() + dt.timedelta(days=2),
        )
    assert {e.field for e in err.value.errors} == {"product", "batch", "last_code", "issued_on"}
    with pytest.raises(NotEntitled):
        services.kit_issue(
            viewer=world.viewer("unconnected_reporter"),
            store_id=world.stores["nw-brighton"].pk,
            product="smartwater",
            kind="spray",
            batch="B1",
            code="SW-77",
        )


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("reporter", True),
        ("manager", True),
        ("security", True),
        ("partnership_manager", True),
        ("police_sussex", True),
        ("analyst_sussex", True),
        ("admin", True),
        ("other_store_reporter", False),
        ("same_partnership_reporter", False),
        ("connected_partnership_manager", False),
        ("police_tv", False),
        ("pcc", False),
        ("navigator", False),
    ],
)
def test_who_sees_a_kit_and_finds_its_code(world: World, name: str, sees: bool) -> None:
    kit = _kit(world)
    viewer = world.viewer(name)
    assert [k.pk for k in selectors.kit_list(viewer=viewer)] == ([kit.pk] if sees else [])
    if sees:
        assert selectors.code_lookup(viewer=viewer, code=kit.code).kit == kit
    else:
        with pytest.raises(Http404):
            selectors.code_lookup(viewer=viewer, code=kit.code)


def test_deployments_are_logged_at_the_kits_store_and_shown_on_lookup(world: World) -> None:
    kit = _kit(world)
    here = world.report("reporter", "nw-brighton")
    elsewhere = world.report("other_store_reporter", "nw-hove")
    services.deployment_record(
        viewer=world.viewer("reporter"),
        kit_id=kit.pk,
        incident_id=here.pk,
        deployed_by="Security officer",
        deployed_at=timezone.now() - dt.timedelta(minutes=30),
        target="person",
        where="Exit doors",
    )
    with pytest.raises((ValidationFailed, Http404)):
        services.deployment_record(
            viewer=world.viewer("security"),
            kit_id=kit.pk,
            incident_id=elsewhere.pk,
            deployed_by="Security officer",
            deployed_at=timezone.now(),
            target="person",
        )
    found = selectors.code_lookup(viewer=world.viewer("security"), code=kit.code)
    assert [d.incident_id for d in found.deployments] == [here.pk]
    assert found.holder == "Northway Foods"


def test_marked_property_is_looked_up_by_police_and_its_owner_only(world: World) -> None:
    prop = services.property_register(
        viewer=world.viewer("security"),
        store_id=world.stores["nw-brighton"].pk,
        product="selectadna",
        code="SDNA-P0001",
        description="Laptops in the back office",
    )
    assert selectors.code_lookup(viewer=world.viewer("police_sussex"), code="sdna-p0001").marked == prop
    assert selectors.code_lookup(viewer=world.viewer("reporter"), code="SDNA-P0001").marked == prop
    with pytest.raises(Http404):
        selectors.code_lookup(viewer=world.viewer("same_partnership_reporter"), code="SDNA-P0001")
    with pytest.raises(Conflict):
        _kit(world, "SDNA-P0001")


def test_partnerships_list_the_stores_displaying_signage(world: World) -> None:
    services.signage_set(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        displayed=True,
    )
    brighton = world.orgs["brighton-bcrp"].pk
    assert [s.store_id for s in selectors.signage_list(viewer=world.viewer("partnership_manager"))] == [
        world.stores["nw-brighton"].pk
    ]
    assert selectors.signage_list(viewer=world.viewer("unconnected_partnership_manager")) == []
    assert (
        selectors.signage_list(
            viewer=world.viewer("unconnected_partnership_manager"), partnership_id=brighton
        )
        == []
    )

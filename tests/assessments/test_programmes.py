"""Prevention programmes: enrolment within places and the partnership, attendance and completion by the
partnership's managers, uptake figures, and the stores with repeated incidents not yet taking part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from shopwatch.assessments import selectors, services
from shopwatch.assessments.models import EnrolmentStatus, Programme
from shopwatch.core.errors import Conflict, NotEntitled, ValidationFailed
from tests.world import World


def _programme(world: World, places: int = 2) -> Programme:
    return Programme.objects.create(
        title="Cyber resilience membership",
        kind="cyber membership",
        funder=world.orgs["sussex-pcc"],
        partnership=world.orgs["brighton-bcrp"],
        places=places,
        eligibility="Small businesses in Brighton",
        question_set_slug="cyber",
        starts_on=timezone.localdate() - dt.timedelta(days=10),
    )


def test_enrolment_attendance_and_completion(world: World) -> None:
    programme = _programme(world, places=2)
    e = services.enrolment_create(
        viewer=world.viewer("manager"), programme_id=programme.pk, store_id=world.stores["nw-brighton"].pk
    )
    with pytest.raises(Conflict):
        services.enrolment_create(
            viewer=world.viewer("manager"), programme_id=programme.pk, store_id=world.stores["nw-brighton"].pk
        )
    with pytest.raises(NotEntitled):
        services.enrolment_create(
            viewer=world.viewer("reporter"),
            programme_id=programme.pk,
            store_id=world.stores["corner-brighton"].pk,
        )
    with pytest.raises(ValidationFailed) as err:
        services.enrolment_create(
            viewer=world.viewer("unconnected_reporter"),
            programme_id=programme.pk,
            store_id=world.stores["oxshop-oxford"].pk,
        )
    assert [x.field for x in err.value.errors] == ["store"]
    services.enrolment_create(
        viewer=world.viewer("partnership_manager"),
        programme_id=programme.pk,
        store_id=world.stores["corner-brighton"].pk,
    )
    with pytest.raises(ValidationFailed) as err:
        services.enrolment_create(
            viewer=world.viewer("partnership_manager"),
            programme_id=programme.pk,
            store_id=world.stores["nw-hove"].pk,
        )
    assert [x.field for x in err.value.errors] == ["programme"]  # both places taken
    with pytest.raises(NotEntitled):
        services.enrolment_attendance(
            viewer=world.viewer("manager"), enrolment_id=e.pk, sessions=4, completed=True
        )
    done = services.enrolment_attendance(
        viewer=world.viewer("partnership_manager"), enrolment_id=e.pk, sessions=4, completed=True
    )
    assert done.status == EnrolmentStatus.COMPLETED
    figures = {f.programme.pk: f for f in selectors.programme_list(viewer=world.viewer("pcc"))}
    assert (figures[programme.pk].enrolled, figures[programme.pk].completed) == (2, 1)
    assert selectors.programme_list(viewer=world.viewer("unconnected_reporter")) == []


def test_stores_with_repeated_incidents_not_yet_taking_part(world: World) -> None:
    for _ in range(3):
        world.report("reporter", "nw-brighton")
        world.report("same_partnership_reporter", "corner-brighton")
    pm = world.viewer("partnership_manager")
    assert {s.pk for s in selectors.repeat_victims_not_taking_part(viewer=pm)} == {
        world.stores["nw-brighton"].pk,
        world.stores["corner-brighton"].pk,
    }
    programme = _programme(world)
    services.enrolment_create(viewer=pm, programme_id=programme.pk, store_id=world.stores["nw-brighton"].pk)
    assert [s.pk for s in selectors.repeat_victims_not_taking_part(viewer=pm)] == [
        world.stores["corner-brighton"].pk
    ]
    with pytest.raises(Http404):
        selectors.repeat_victims_not_taking_part(viewer=world.viewer("reporter"))

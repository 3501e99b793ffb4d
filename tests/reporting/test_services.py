"""Filing incidents through the one service path: status, priority, offence class, audit, no half-saves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from shopwatch.core.errors import ValidationFailed
from shopwatch.core.models import AuditEvent, Distribution, SharingGroup, Store
from shopwatch.reporting import services
from shopwatch.reporting.models import Incident, IncidentStatus, StatusChange
from shopwatch.reporting.selectors import incident_queryset
from shopwatch.subjects.models import Person, Vehicle
from shopwatch.subjects.services import person_create
from tests.api.support import row_counts
from tests.world import World


def _trail(incident: Incident) -> list[tuple[str, str]]:
    return [
        (c.from_status, c.to_status) for c in StatusChange.objects.filter(incident=incident).order_by("id")
    ]


# --- Status lifecycle at creation ---------------------------------------------------------------------


def test_a_report_at_a_partnership_store_is_shared_with_the_partnership(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    assert incident.distribution == Distribution.PARTNERSHIP
    assert incident.status == IncidentStatus.SHARED
    assert incident.sent_to_police is False
    assert _trail(incident) == [("", "submitted"), ("submitted", "shared")]


def test_a_report_kept_to_the_organisation_stays_submitted(world: World) -> None:
    incident = world.report("reporter", "nw-brighton", distribution=Distribution.ORGANISATION)
    assert incident.status == IncidentStatus.SUBMITTED
    assert _trail(incident) == [("", "submitted")]


def test_a_report_at_a_store_in_no_partnership_defaults_to_the_organisation(world: World) -> None:
    lone = Store.objects.create(
        retailer=world.orgs["northway"],
        name="Northway Lewes",
        address="2 High St",
        town="Lewes",
        postcode="BN7 2AA",
        latitude=50.87,
        longitude=0.01,
        force=world.orgs["sussex"],
    )
    data = services.IncidentInput(
        store_id=lone.pk,
        type="theft",
        description="Took batteries",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
    )
    incident = services.incident_create(viewer=world.viewer("security"), data=data)
    assert incident.distribution == Distribution.ORGANISATION
    assert incident.status == IncidentStatus.SUBMITTED


def test_reported_to_police_goes_straight_to_the_stores_force(world: World) -> None:
    incident = world.report(
        "reporter", "nw-brighton", distribution=Distribution.ORGANISATION, report_to_police=True
    )
    assert incident.status == IncidentStatus.SENT_TO_POLICE
    assert incident.sent_to_police is True
    assert incident.force_id == world.orgs["sussex"].pk
    assert _trail(incident) == [("", "submitted"), ("submitted", "sent_to_police")]
    assert incident_queryset(world.viewer("police_sussex")).filter(pk=incident.pk).exists()
    assert not incident_queryset(world.viewer("police_tv")).filter(pk=incident.pk).exists()


def test_shared_and_reported_to_police_records_every_step(world: World) -> None:
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    assert _trail(incident) == [("", "submitted"), ("submitted", "shared"), ("shared", "sent_to_police")]


# --- Priority and offence class from what is known about the offender --------------------------------


def _known_person(world: World, **kw: Any) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Sam",
        family_name="Taylor",
        **kw,
    )


def _report_with(world: World, person: Person, days_ago: int = 0) -> Incident:
    return world.report(
        "reporter",
        "nw-brighton",
        offenders=[services.OffenderInput(person_id=person.pk)],
        occurred_at=timezone.now() - dt.timedelta(days=days_ago, hours=1),
    )


def test_a_known_offender_seen_before_is_a_repeat_offender(world: World) -> None:
    person = _known_person(world)
    first = _report_with(world, person, days_ago=30)
    assert first.priority == "P3"
    second = _report_with(world, person)
    assert second.priority == "P2"
    assert "Repeat offender" in second.priority_reasons


def test_the_fifth_incident_in_a_year_makes_a_prolific_offender(world: World) -> None:
    person = _known_person(world)
    reports = [_report_with(world, person, days_ago=d) for d in (300, 200, 100, 50, 1)]
    assert "Prolific offender" not in reports[3].priority_reasons
    assert "Prolific offender" in reports[4].priority_reasons
    assert "Repeat offender" not in reports[4].priority_reasons


def test_incidents_older_than_a_year_do_not_count_towards_repeat(world: World) -> None:
    person = _known_person(world)
    _report_with(world, person, days_ago=400)
    assert _report_with(world, person).priority == "P3"


def test_a_juvenile_offender_raises_priority(world: World) -> None:
    person = _known_person(world, date_of_birth=timezone.localdate() - dt.timedelta(days=15 * 365))
    incident = _report_with(world, person)
    assert incident.priority == "P2"
    assert "Juvenile offender" in incident.priority_reasons


def test_the_persons_last_incident_is_kept_up_to_date(world: World) -> None:
    person = _known_person(world)
    incident = _report_with(world, person, days_ago=3)
    person.refresh_from_db()
    assert person.last_incident_at == incident.occurred_at


def test_goods_lines_add_up_to_the_value_and_drive_the_class(world: World) -> None:
    goods = [
        services.GoodsInput(description="Whisky", value=Decimal("150.00"), quantity=6),
        services.GoodsInput(description="Gin", value=Decimal("60.50")),
    ]
    incident = world.report("reporter", "nw-brighton", goods=goods)
    assert incident.goods_value == Decimal("210.50")
    assert incident.offence_label == "Shoplifting"
    assert incident.priority == "P2"
    assert list(incident.goods.order_by("id").values_list("description", "quantity")) == [
        ("Whisky", 6),
        ("Gin", 1),
    ]


def test_a_total_without_lines_is_kept(world: World) -> None:
    incident = world.report("reporter", "nw-brighton", goods_value=Decimal("35.00"))
    assert incident.goods_value == Decimal("35.00")
    assert incident.offence_label == "Shoplifting (low value, £200 or less)"


def test_one_vehicle_row_per_registration_however_it_was_typed(world: World) -> None:
    world.report("reporter", "nw-brighton", vehicles=[services.VehicleInput(registration="ab12 cde")])
    world.report("manager", "nw-brighton", vehicles=[services.VehicleInput(registration="AB12-CDE")])
    assert list(Vehicle.objects.values_list("registration", flat=True)) == ["AB12CDE"]


# --- Audit and atomicity ------------------------------------------------------------------------------


def test_creation_is_audited_with_who_where_and_how(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    event = AuditEvent.objects.get(action="create", object_type="incident", object_id=str(incident.pk))
    assert event.actor_id == world.users["reporter"].pk
    assert event.organisation_id == world.orgs["northway"].pk
    assert event.channel == "web"
    assert event.store_id == world.stores["nw-brighton"].pk
    assert event.summary == incident.reference


def test_a_refused_report_saves_nothing(world: World) -> None:
    before = row_counts()
    data = services.IncidentInput(
        store_id=world.stores["nw-brighton"].pk,
        type="theft",
        occurred_at=timezone.now(),
        description="Took gin",
        vehicles=[services.VehicleInput(registration="AB12CDE"), services.VehicleInput(registration="???")],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.incident_create(viewer=world.viewer("reporter"), data=data)
    assert [e.field for e in exc.value.errors] == ["vehicles[1].registration"]
    assert row_counts() == before


def test_a_failure_after_the_incident_row_is_written_rolls_everything_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit row and the incident stand or fall together: a crash between them leaves neither."""
    before = row_counts()
    data = services.IncidentInput(
        store_id=world.stores["nw-brighton"].pk,
        type="theft",
        occurred_at=timezone.now(),
        description="Took gin",
    )

    def disk_full(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk full")

    # Fault injection: the audit write fails after the incident rows were inserted.
    monkeypatch.setattr(AuditEvent.objects, "bulk_create", disk_full)
    with pytest.raises(RuntimeError):
        services.incident_create(viewer=world.viewer("reporter"), data=data)
    monkeypatch.undo()
    assert row_counts() == before


def test_a_named_sharing_group_is_only_for_its_members(world: World) -> None:
    group = SharingGroup.objects.create(slug="retail-crime-south", name="Retail crime south")
    group.organisations.set([world.orgs["northway"], world.orgs["oxford-bcrp"]])
    incident = world.report(
        "security", "nw-hove", distribution=Distribution.GROUP, sharing_group="retail-crime-south"
    )
    assert (incident.distribution, incident.sharing_group_id) == (Distribution.GROUP, group.pk)
    assert incident_queryset(world.viewer("unconnected_partnership_manager")).filter(pk=incident.pk).exists()
    assert not incident_queryset(world.viewer("partnership_manager")).filter(pk=incident.pk).exists()
    # A store reporter is not an organisation-wide member, so cannot address the group.
    with pytest.raises(ValidationFailed) as exc:
        world.report(
            "reporter", "nw-brighton", distribution=Distribution.GROUP, sharing_group="retail-crime-south"
        )
    assert [e.field for e in exc.value.errors] == ["sharing_group"]


# --- Later status changes -----------------------------------------------------------------------------


def test_sending_to_police_later_widens_to_the_force_and_is_recorded(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    assert not incident_queryset(world.viewer("police_sussex")).filter(pk=incident.pk).exists()
    services.incident_send_to_police(viewer=world.viewer("manager"), incident=incident, note="Suspect known")
    incident.refresh_from_db()
    assert (incident.status, incident.sent_to_police) == (IncidentStatus.SENT_TO_POLICE, True)
    assert _trail(incident)[-1] == ("shared", "sent_to_police")
    assert incident_queryset(world.viewer("police_sussex")).filter(pk=incident.pk).exists()
    assert AuditEvent.objects.filter(action="change", object_id=str(incident.pk)).count() == 1


def test_only_the_store_its_retailer_or_partnership_can_send_to_police(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    with pytest.raises(ValidationFailed):
        services.incident_send_to_police(viewer=world.viewer("same_partnership_reporter"), incident=incident)
    incident.refresh_from_db()
    assert incident.sent_to_police is False
    services.incident_send_to_police(viewer=world.viewer("partnership_manager"), incident=incident)
    incident.refresh_from_db()
    assert incident.sent_to_police is True


def test_a_status_past_sent_to_police_marks_it_sent(world: World) -> None:
    incident = world.report("reporter", "nw-brighton", distribution=Distribution.ORGANISATION)
    services.incident_set_status(
        viewer=world.viewer("police_sussex"), incident=incident, status=IncidentStatus.CRIME_RECORDED
    )
    incident.refresh_from_db()
    assert incident.sent_to_police is True
    assert incident.status == IncidentStatus.CRIME_RECORDED


def test_an_unknown_status_is_refused_and_the_same_status_is_a_no_op(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    with pytest.raises(ValidationFailed):
        services.incident_set_status(viewer=world.viewer("admin"), incident=incident, status="closed")
    changes = StatusChange.objects.count()
    services.incident_set_status(viewer=world.viewer("admin"), incident=incident, status=incident.status)
    assert StatusChange.objects.count() == changes

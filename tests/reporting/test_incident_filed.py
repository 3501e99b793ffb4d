"""The incident-filed handlers: registered by the apps above reporting, run in order inside the report's
transaction, and a failing one rolls the report back (docs/decisions/0008-incident-filed-handlers.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import timezone

from shopwatch.alerts.models import Alert
from shopwatch.core.models import AuditEvent
from shopwatch.intelligence.models import GalleryEntry
from shopwatch.intelligence.services.galleries import gallery_add_person
from shopwatch.reporting.filed import IncidentsFiled, incident_filed
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput
from tests.world import World

TEST_HANDLER = "test-handler"


@pytest.fixture
def extra_handler() -> Iterator[None]:
    yield
    incident_filed.unregister(TEST_HANDLER)


def _listed(world: World) -> GalleryEntry:
    return gallery_add_person(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        given_name="Kyle",
        family_name="Marsh",
        date_of_birth=dt.date(1990, 5, 1),
        description="Tall, grey hoodie",
        reason="Repeated thefts of meat",
    )


def test_alerts_then_intelligence_then_evidence_are_registered_at_start_up() -> None:
    names = [h.name for h in incident_filed.registered()]
    assert {"alerts", "intelligence", "evidence"} <= set(names)
    assert names.index("alerts") < names.index("intelligence") < names.index("evidence")
    orders = [h.order for h in incident_filed.registered()]
    assert orders == sorted(orders)


def test_a_handler_sees_the_written_report_inside_its_transaction(world: World, extra_handler: None) -> None:
    entry = _listed(world)
    seen: list[tuple[list[str], frozenset[int], bool, int]] = []

    def record(event: IncidentsFiled) -> None:
        refs = [i.reference for i in event.incidents]
        saved = Incident.objects.filter(reference__in=refs).count()
        seen.append((refs, event.person_ids, connection.in_atomic_block, saved))
        # The alert of an urgent report was raised by the handler before this one.
        assert Alert.objects.filter(incident__in=event.incidents).count() == 1

    incident_filed.register(TEST_HANDLER, record, order=1000)
    incident = world.report(
        "reporter", "nw-brighton", flags=["violence"], offenders=[OffenderInput(person_id=entry.person.pk)]
    )
    assert seen == [([incident.reference], frozenset({entry.person.pk}), True, 1)]


def test_a_handler_that_raises_rolls_the_whole_report_back(world: World, extra_handler: None) -> None:
    entry = _listed(world)
    GalleryEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now() + dt.timedelta(days=3))
    before = (Incident.objects.count(), Alert.objects.count(), AuditEvent.objects.count())

    def fail(event: IncidentsFiled) -> None:
        raise RuntimeError("handler failed")

    incident_filed.register(TEST_HANDLER, fail, order=1000)
    with pytest.raises(RuntimeError, match="handler failed"):
        world.report(
            "reporter", "nw-brighton", flags=["weapon"], offenders=[OffenderInput(person_id=entry.person.pk)]
        )
    # No incident, no alert (raised by an earlier handler), no audit row, and the listing was not renewed.
    assert (Incident.objects.count(), Alert.objects.count(), AuditEvent.objects.count()) == before
    entry.refresh_from_db()
    assert entry.expires_at < timezone.now() + dt.timedelta(days=4)


def test_registering_a_name_again_replaces_its_handler(extra_handler: None) -> None:
    calls: list[str] = []
    incident_filed.register(TEST_HANDLER, lambda event: calls.append("first"), order=1000)
    incident_filed.register(TEST_HANDLER, lambda event: calls.append("second"), order=1000)
    assert [h.name for h in incident_filed.registered()].count(TEST_HANDLER) == 1

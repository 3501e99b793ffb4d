"""The demo seed's incidents sent to police say when they were sent, so the triage queue's order means
something in the demo."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from io import StringIO
from typing import TYPE_CHECKING, Any, TypedDict, cast

import pytest
from django.core.management import call_command
from django.utils import timezone

from shopwatch.core.models import Organisation, OrganisationKind
from shopwatch.policing.selectors.queue import queue_queryset
from shopwatch.reporting.models import Incident, IncidentStatus, StatusChange

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations


class _Sent(TypedDict):
    sent_at: dt.datetime


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("seed", incidents=600, seed=11, stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_incidents_sent_to_police_say_when_shortly_after_they_were_reported(seeded: None, db: None) -> None:
    rows = list(Incident.objects.values("pk", "sent_to_police", "sent_to_police_at", "created_at", "status"))
    sent = [r for r in rows if r["sent_to_police"]]
    assert sent
    assert all(r["sent_to_police_at"] is None for r in rows if not r["sent_to_police"])
    when: dict[int, dt.datetime] = {}
    for r in sent:
        at = r["sent_to_police_at"]
        assert at is not None
        when[r["pk"]] = at
    now = timezone.now()
    waits = [when[r["pk"]] - r["created_at"] for r in sent]
    assert all(dt.timedelta(0) <= w <= dt.timedelta(days=1) for w in waits)
    assert all(at <= now for at in when.values())
    assert sum(w <= dt.timedelta(minutes=15) for w in waits) > len(waits) / 2  # mostly within minutes
    assert len(set(waits)) > len(waits) / 2  # not one fixed delay
    # The status history says the same.
    marked = dict(
        StatusChange.objects.filter(to_status=IncidentStatus.SENT_TO_POLICE).values_list("incident_id", "at")
    )
    assert when == marked
    # Later steps come after it was sent.
    later = StatusChange.objects.filter(
        incident_id__in=[r["pk"] for r in sent], to_status=IncidentStatus.WITH_POLICE
    ).values_list("incident_id", "at")
    assert all(at > marked[pk] for pk, at in later)


def test_the_queue_orders_by_when_each_was_sent(seeded: None, db: None) -> None:
    from shopwatch.core.entitlements import Viewer

    force = Organisation.objects.filter(kind=OrganisationKind.POLICE_FORCE).order_by("pk").first()
    assert force is not None
    viewer = Viewer(user_id=0, police_force_ids=frozenset({force.pk}), org_wide_ids=frozenset({force.pk}))
    # The queue annotates each row with when it was sent (sent_at), which the plugin cannot see through
    # queue_queryset's declared return type.
    queue = cast("QuerySet[WithAnnotations[Incident, _Sent]]", queue_queryset(viewer))
    rows = list(queue.values("priority", "priority_score", "sent_at", "sent_to_police_at"))
    assert rows
    assert all(r["sent_at"] == r["sent_to_police_at"] for r in rows)
    for a, b in itertools.pairwise(rows):
        if (a["priority"], a["priority_score"]) == (b["priority"], b["priority_score"]):
            assert a["sent_at"] <= b["sent_at"]

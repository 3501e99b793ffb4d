"""The force's triage queue in Retail Crime Action Plan order, and one incident from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditAction, Role, User
from shopwatch.core.pagination import (
    Key,
    keyset_after,
    keyset_cursor,
    keyset_order,
    parse_int,
    parse_when,
)
from shopwatch.core.references import incident_reference
from shopwatch.evidence.models import EvidenceFile, EvidenceLink
from shopwatch.reporting.models import Incident, IncidentOffender

from ..models import (
    OPEN_STATES,
    Triage,
    TriageEvent,
    TriageState,
)
from ..services.common import force_incident, force_incidents
from ..targets import ATTENDANCE, RESPONSES, TARGETS, due_at


def _sent_at() -> Coalesce:
    """When the incident reached the police (kept on the row by the reporting services; rows from before
    that field fall back to when they were created)."""
    return Coalesce(F("sent_to_police_at"), F("created_at"), output_field=DateTimeField())


# How long an offender on scene, or violence, counts as happening now (the Retail Crime Action Plan's
# immediate attendance): within it, such a report goes ahead of others of its priority however long they
# have waited; after it, it takes its turn by score and age (overdue items are flagged on the row).
HAPPENING_NOW = dt.timedelta(hours=2)


def _happening_now() -> Case:
    recent = Q(sent_at__gte=timezone.now() - HAPPENING_NOW)
    return Case(
        When(recent & (Q(flag_offender_nearby=True) | Q(flag_violence=True)), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def with_overdue(qs: QuerySet[Any], now: dt.datetime | None = None) -> QuerySet[Any]:
    """Annotate ``overdue``: still waiting for the police response its priority's target asks for
    (``policing.targets``), past that target. Needs ``sent_at`` annotated first."""
    now = now or timezone.now()
    events = TriageEvent.objects.filter(incident=OuterRef("pk"))
    qs = qs.annotate(
        responded=Exists(events.filter(action__in=RESPONSES)),
        attended=Exists(events.filter(action__in=ATTENDANCE)),
    )
    whens = [
        When(
            Q(priority=priority, sent_at__lt=now - target.within)
            & Q(**{"attended" if target.attend else "responded": False}),
            then=Value(True),
        )
        for priority, target in TARGETS.items()
    ]
    annotated: QuerySet[Any] = qs.annotate(
        overdue=Case(*whens, default=Value(False), output_field=BooleanField())
    )
    return annotated


# The triage queue: Retail Crime Action Plan priority, then what is happening now (offender on scene or
# violence, sent within HAPPENING_NOW), then score (highest first), then longest waiting.
QUEUE_ORDER = (
    Key("priority"),
    Key("happening_now", descending=True, parse=parse_int),
    Key("priority_score", descending=True, parse=parse_int),
    Key("sent_at", parse=parse_when),
    Key("id", parse=parse_int),
)


def reference_filter(text: str) -> Q:
    """The incident ``text`` names as people read references (``core/references.py``): any case, dashes or
    spaces optional, O, I and L read as 0 and 1; text that is not a whole reference matches part of one."""
    canonical = incident_reference(text)
    if canonical is not None:
        return Q(reference=canonical)
    return Q(reference__icontains=text.strip())


def queue_queryset(
    viewer: Viewer,
    *,
    assigned_to: int | None = None,
    state: str | None = None,
    reference: str = "",
    overdue: bool = False,
) -> QuerySet[Incident]:
    """Open incidents in the caller's force queue, in Retail Crime Action Plan order: priority, then an
    offender on scene or violence happening now, then priority score (highest first), then the longest
    waiting."""
    qs = (
        force_incidents(viewer)
        .filter(Q(triage__isnull=True) | Q(triage__state__in=OPEN_STATES))
        .annotate(sent_at=_sent_at())
        .annotate(happening_now=_happening_now())
    )
    if reference.strip():
        qs = qs.filter(reference_filter(reference))
    if overdue:
        qs = with_overdue(qs).filter(overdue=True)
    if assigned_to is not None:
        qs = qs.filter(triage__assigned_to_id=assigned_to)
    if state == TriageState.NEW:
        qs = qs.filter(Q(triage__isnull=True) | Q(triage__state=TriageState.NEW))
    elif state:
        qs = qs.filter(triage__state=state)
    return keyset_order(qs, QUEUE_ORDER, None)


def overdue_count(viewer: Viewer) -> int:
    """How many incidents in the caller's open queue are past their priority's response target."""
    return with_overdue(queue_queryset(viewer).order_by()).filter(overdue=True).count()


def _queue_details(ids: list[int]) -> list[Incident]:
    """The rows of one queue page with what triage shows: store, assignee, evidence count, known person."""
    evidence = (  # files that arrived on the incident, and files linked to it from another (not deleted)
        EvidenceFile.objects.filter(incident=OuterRef("pk"), deleted_at__isnull=True)
        .order_by()
        .values("incident")
        .annotate(n=Count("id"))
        .values("n")
    )
    linked = (
        EvidenceLink.objects.filter(incident=OuterRef("pk"), evidence__deleted_at__isnull=True)
        .order_by()
        .values("incident")
        .annotate(n=Count("id"))
        .values("n")
    )
    known = IncidentOffender.objects.filter(incident=OuterRef("pk"), person__isnull=False)
    rows = with_overdue(
        Incident.objects.filter(pk__in=ids)
        .select_related("store", "store__retailer", "triage", "triage__assigned_to")
        .annotate(
            sent_at=_sent_at(),
            evidence_count=Coalesce(Subquery(evidence, output_field=IntegerField()), Value(0))
            + Coalesce(Subquery(linked, output_field=IntegerField()), Value(0)),
            known_person=Exists(known),
        )
        .annotate(happening_now=_happening_now())
    )
    order = {pk: i for i, pk in enumerate(ids)}
    return sorted(rows, key=lambda r: order[r.pk])


@dataclass
class QueueRow:
    incident: Incident
    sent_at: dt.datetime
    waiting: dt.timedelta
    evidence_count: int
    known_person: bool
    state: str
    assigned_to: User | None
    overdue: bool
    due_at: dt.datetime


def queue_page(
    *,
    viewer: Viewer,
    after: list[Any] | None,
    limit: int,
    assigned_to: int | None = None,
    state: str | None = None,
    reference: str = "",
    overdue: bool = False,
) -> tuple[list[QueueRow], list[Any] | None]:
    """One page of the queue in triage order, and the keyset cursor for the next. Audited as a listing."""
    qs = queue_queryset(viewer, assigned_to=assigned_to, state=state, reference=reference, overdue=overdue)
    if after:
        qs = qs.filter(keyset_after(QUEUE_ORDER, after))
    # Order and cut the page on the narrow rows first; only the page's rows get their details.
    ids = list(qs.values_list("pk", flat=True)[: limit + 1])
    more = len(ids) > limit
    rows = _queue_details(ids[:limit])
    now = timezone.now()
    out = []
    for inc in rows:
        triage: Triage | None = getattr(inc, "triage", None)
        sent: dt.datetime = inc.sent_at  # type: ignore[attr-defined]
        out.append(
            QueueRow(
                incident=inc,
                sent_at=sent,
                waiting=now - sent,
                evidence_count=inc.evidence_count,  # type: ignore[attr-defined]
                known_person=inc.known_person,  # type: ignore[attr-defined]
                state=triage.state if triage else TriageState.NEW,
                assigned_to=triage.assigned_to if triage else None,
                overdue=inc.overdue,  # type: ignore[attr-defined]
                due_at=due_at(inc.priority, sent),
            )
        )
    cursor = keyset_cursor(QUEUE_ORDER, out[-1].incident) if more and rows else None
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="incident",
            summary=f"Police queue: listed {len(rows)} incidents",
            detail={"ids": [r.pk for r in rows]},
        )
    return out, cursor


def queue_incident(*, viewer: Viewer, incident_id: int) -> Incident:
    """One incident of the caller's force for the triage page (audited view); 404 if not theirs."""
    incident = force_incident(viewer, incident_id)
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference} (police triage)",
    )
    return incident


def triage_history(incident: Incident) -> list[TriageEvent]:
    return list(TriageEvent.objects.filter(incident=incident).select_related("actor", "assignee"))


def force_officers(viewer: Viewer) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id__in=viewer.police_force_ids,
            memberships__active=True,
            memberships__role__in=[Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR],
        )
        .distinct()
        .order_by("full_name", "id")
    )

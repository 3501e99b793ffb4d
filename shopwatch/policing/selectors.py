"""Policing reads: the triage queue, workload and ageing, hand-offs, feedback for the store, outcome rates.

Every read of incidents goes through ``scope`` (via ``force_incidents``) and the caller's own force(s).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
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
)
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, get_visible, owned_scope, scope
from shopwatch.core.models import AuditAction, AuditEvent, Role, User
from shopwatch.core.pagination import (
    Key,
    keyset_after,
    keyset_cursor,
    keyset_order,
    keyset_page,
    newest,
    parse_int,
    parse_when,
)
from shopwatch.evidence.models import EvidenceFile, EvidenceLink
from shopwatch.reporting.models import Incident, IncidentOffender
from shopwatch.subjects.models import Person

from .models import (
    CALLBACK_REFUSED,
    OPEN_STATES,
    POSITIVE_OUTCOMES,
    SOLVED_OUTCOMES,
    CaseFile,
    CrimeRecord,
    CrimeRecordChange,
    Delivery,
    DeliveryStatus,
    ForceEndpoint,
    LinkSuggestion,
    Notification,
    OutcomeType,
    PoliceStatus,
    Series,
    SeriesMember,
    Triage,
    TriageEvent,
    TriageState,
    WitnessStatement,
)
from .services.common import force_incident as force_incident
from .services.common import force_incidents as force_incidents

# --- The queue ------------------------------------------------------------------------------------------


def _sent_at() -> Coalesce:
    """When the incident reached the police (kept on the row by the reporting services; rows from before
    that field fall back to when they were created)."""
    return Coalesce(F("sent_to_police_at"), F("created_at"), output_field=DateTimeField())


# The triage queue: Retail Crime Action Plan priority, then score (highest first), then longest waiting.
QUEUE_ORDER = (
    Key("priority"),
    Key("priority_score", descending=True, parse=parse_int),
    Key("sent_at", parse=parse_when),
    Key("id", parse=parse_int),
)


def queue_queryset(
    viewer: Viewer, *, assigned_to: int | None = None, state: str | None = None
) -> QuerySet[Incident]:
    """Open incidents in the caller's force queue, in Retail Crime Action Plan order: priority, then
    priority score (highest first), then the longest waiting."""
    qs = (
        force_incidents(viewer)
        .filter(Q(triage__isnull=True) | Q(triage__state__in=OPEN_STATES))
        .annotate(sent_at=_sent_at())
    )
    if assigned_to is not None:
        qs = qs.filter(triage__assigned_to_id=assigned_to)
    if state == TriageState.NEW:
        qs = qs.filter(Q(triage__isnull=True) | Q(triage__state=TriageState.NEW))
    elif state:
        qs = qs.filter(triage__state=state)
    return keyset_order(qs, QUEUE_ORDER, None)


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
    rows = (
        Incident.objects.filter(pk__in=ids)
        .select_related("store", "store__retailer", "triage", "triage__assigned_to")
        .annotate(
            sent_at=_sent_at(),
            evidence_count=Coalesce(Subquery(evidence, output_field=IntegerField()), Value(0))
            + Coalesce(Subquery(linked, output_field=IntegerField()), Value(0)),
            known_person=Exists(known),
        )
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


def queue_page(
    *,
    viewer: Viewer,
    after: list[Any] | None,
    limit: int,
    assigned_to: int | None = None,
    state: str | None = None,
) -> tuple[list[QueueRow], list[Any] | None]:
    """One page of the queue in triage order, and the keyset cursor for the next. Audited as a listing."""
    qs = queue_queryset(viewer, assigned_to=assigned_to, state=state)
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


def queue_incident(*, viewer: Viewer, incident_id: object) -> Incident:
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


# --- Supervisors: workload and ageing ----------------------------------------------------------------

AGE_BANDS: list[tuple[str, dt.timedelta | None]] = [
    ("Under 24 hours", dt.timedelta(hours=24)),
    ("1 to 3 days", dt.timedelta(days=3)),
    ("3 to 7 days", dt.timedelta(days=7)),
    ("7 to 28 days", dt.timedelta(days=28)),
    ("Over 28 days", None),
]


@dataclass
class Workload:
    officer: User | None
    open_count: int
    info_requested: int
    oldest_sent_at: dt.datetime | None


def workload(*, viewer: Viewer) -> tuple[list[Workload], list[tuple[str, int]]]:
    """Open incidents per officer (and unassigned), and how long the open queue has been waiting."""
    from .services.common import require_supervisor

    require_supervisor(viewer)
    qs = queue_queryset(viewer).order_by()
    per = (
        qs.values("triage__assigned_to")
        .annotate(n=Count("id"), info=Count("id", filter=Q(triage__state=TriageState.INFO_REQUESTED)))
        .order_by()
    )
    oldest: dict[int | None, dt.datetime] = {}
    for row in qs.values("triage__assigned_to", "sent_at"):  # type: ignore[misc]
        key = row["triage__assigned_to"]
        if key not in oldest or row["sent_at"] < oldest[key]:
            oldest[key] = row["sent_at"]
    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=[r["triage__assigned_to"] for r in per if r["triage__assigned_to"]]
        )
    }
    loads = [
        Workload(
            users.get(r["triage__assigned_to"]) if r["triage__assigned_to"] else None,
            r["n"],
            r["info"],
            oldest.get(r["triage__assigned_to"]),
        )
        for r in per
    ]
    loads.sort(key=lambda w: (w.officer is not None, -(w.open_count)))
    now = timezone.now()
    bands = [0] * len(AGE_BANDS)
    for sent in (row["sent_at"] for row in qs.values("sent_at")):  # type: ignore[misc]
        age = now - sent
        for i, (_, limit) in enumerate(AGE_BANDS):
            if limit is None or age < limit:
                bands[i] += 1
                break
    return loads, [(label, bands[i]) for i, (label, _) in enumerate(AGE_BANDS)]


# --- Hand-offs ------------------------------------------------------------------------------------------


def deliveries(*, viewer: Viewer, status: str | None = None, limit: int = 200) -> list[Delivery]:
    """The force's hand-offs, newest first; ``status='dead'`` is the dead-letter list."""
    qs = owned_scope(Delivery.objects.all(), viewer).filter(incident__in=force_incidents(viewer).values("pk"))
    qs = qs.select_related("incident")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-created_at", "-id")[:limit])


def delivery_get(*, viewer: Viewer, delivery_id: object) -> Delivery:
    incident_ids = force_incidents(viewer).values("pk")
    qs = owned_scope(Delivery.objects.all(), viewer).filter(incident__in=incident_ids)
    return get_visible_delivery(qs, delivery_id)


def get_visible_delivery(qs: QuerySet[Delivery], delivery_id: object) -> Delivery:
    from django.http import Http404

    try:
        return qs.select_related("incident").get(pk=int(str(delivery_id)))
    except (Delivery.DoesNotExist, ValueError) as exc:
        raise Http404("Not found.") from exc


def deliveries_for_incident(incident: Incident) -> list[Delivery]:
    return list(Delivery.objects.filter(incident=incident).order_by("-created_at", "-id"))


def endpoint_for_force(force_id: int | None) -> ForceEndpoint | None:
    return ForceEndpoint.objects.filter(force_id=force_id).first() if force_id else None


def dead_letter_count(viewer: Viewer) -> int:
    return owned_scope(Delivery.objects.filter(status=DeliveryStatus.DEAD), viewer).count()


def handoff_export(*, viewer: Viewer, incident_id: object) -> tuple[Incident, str]:
    """The hand-off payload as a file, for forces without an endpoint. Audited as an export."""
    from .services.handoff import payload_for

    incident = force_incident(viewer, incident_id)
    body = payload_for(incident, viewer=viewer)
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference}: hand-off payload exported",
    )
    return incident, body


# --- Feedback for the store ---------------------------------------------------------------------------


@dataclass
class PoliceFeedback:
    crime_reference: str
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    cbo_applied: bool
    cbo_granted: bool
    triage_state: str
    triage_label: str
    triage_reason: str
    updated_at: dt.datetime | None
    history: list[CrimeRecordChange]
    requests: list[TriageEvent]


def police_feedback(*, viewer: Viewer, incident_id: object) -> PoliceFeedback | None:
    """What the police said about an incident, for anyone who may see the incident (the store first).

    None when the incident was never sent to police. 404 when the viewer may not see the incident.
    """
    from shopwatch.reporting.selectors import incident_queryset

    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    if not incident.sent_to_police:
        return None
    record = CrimeRecord.objects.filter(incident=incident).first()
    triage = Triage.objects.filter(incident=incident).first()
    events = [
        e
        for e in TriageEvent.objects.filter(incident=incident)
        if e.action in ("request_info", "request_cctv", "reject", "accept")
    ]
    state = triage.state if triage else TriageState.NEW
    return PoliceFeedback(
        crime_reference=record.crime_reference if record else "",
        status=record.status if record else "",
        status_label=PoliceStatus(record.status).label if record and record.status else "",
        outcome=record.outcome if record else "",
        outcome_label=OutcomeType(record.outcome).label if record and record.outcome else "",
        cbo_applied=bool(record and record.cbo_applied),
        cbo_granted=bool(record and record.cbo_granted),
        triage_state=state,
        triage_label=TriageState(state).label if triage else "Waiting for the police to review it",
        triage_reason=triage.reason
        if triage and triage.state in (TriageState.REJECTED, TriageState.INFO_REQUESTED)
        else "",
        updated_at=max(
            [
                d
                for d in (record.updated_at if record else None, triage.updated_at if triage else None)
                if d is not None
            ],
            default=None,
        ),
        history=list(CrimeRecordChange.objects.filter(incident=incident)),
        requests=events,
    )


def notifications_for(*, user_id: int, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user_id=user_id).select_related("incident")[:limit])


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


# --- Outcome rates --------------------------------------------------------------------------------------


@dataclass
class RateRow:
    period: dt.date
    area: str
    reviewed: int
    reviewed_solved: int
    reviewed_positive: int
    unreviewed: int
    unreviewed_solved: int
    unreviewed_positive: int

    @staticmethod
    def _pct(n: int, d: int) -> float | None:
        return round(100.0 * n / d, 1) if d else None

    @property
    def total(self) -> int:
        return self.reviewed + self.unreviewed

    @property
    def solved_rate(self) -> float | None:
        return self._pct(self.reviewed_solved + self.unreviewed_solved, self.total)

    @property
    def positive_rate(self) -> float | None:
        return self._pct(self.reviewed_positive + self.unreviewed_positive, self.total)

    @property
    def reviewed_solved_rate(self) -> float | None:
        return self._pct(self.reviewed_solved, self.reviewed)

    @property
    def unreviewed_solved_rate(self) -> float | None:
        return self._pct(self.unreviewed_solved, self.unreviewed)

    @property
    def reviewed_positive_rate(self) -> float | None:
        return self._pct(self.reviewed_positive, self.reviewed)

    @property
    def unreviewed_positive_rate(self) -> float | None:
        return self._pct(self.unreviewed_positive, self.unreviewed)


AREAS = {"town": "store__town", "store": "store__name", "force": "force__name"}
PERIODS = {"month": TruncMonth, "quarter": TruncQuarter}


def outcome_rates(
    *,
    viewer: Viewer,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    period: str = "month",
    area: str = "town",
) -> list[RateRow]:
    """Solved and positive-outcome rates of incidents sent to the caller's force, by period and area,
    for incidents the business crime team reviewed (decided in the queue) against those it did not.

    The denominator is every incident sent to police in the period (by when it happened)."""
    if period not in PERIODS:
        period = "month"
    if area not in AREAS:
        area = "town"
    qs = force_incidents(viewer).order_by()
    if date_from:
        qs = qs.filter(occurred_at__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__lt=date_to)
    reviewed = Q(triage__state__in=[TriageState.ACCEPTED, TriageState.REJECTED])
    solved = Q(crime_record__outcome__in=SOLVED_OUTCOMES)
    positive = Q(crime_record__outcome__in=POSITIVE_OUTCOMES)
    rows = (
        qs.annotate(
            p=PERIODS[period]("occurred_at", tzinfo=timezone.get_current_timezone()), a=F(AREAS[area])
        )
        .values("p", "a")
        .annotate(
            rv=Count("id", filter=reviewed),
            rv_s=Count("id", filter=reviewed & solved),
            rv_p=Count("id", filter=reviewed & positive),
            un=Count("id", filter=~reviewed),
            un_s=Count("id", filter=~reviewed & solved),
            un_p=Count("id", filter=~reviewed & positive),
        )
        .order_by("p", "a")
    )
    out = []
    for r in rows:
        p = r["p"]
        out.append(
            RateRow(
                period=p.date() if isinstance(p, dt.datetime) else p,
                area=r["a"],
                reviewed=r["rv"],
                reviewed_solved=r["rv_s"],
                reviewed_positive=r["rv_p"],
                unreviewed=r["un"],
                unreviewed_solved=r["un_s"],
                unreviewed_positive=r["un_p"],
            )
        )
    return out


def rates_total(rows: list[RateRow]) -> RateRow:
    total = RateRow(
        period=dt.date.min,
        area="All",
        reviewed=0,
        reviewed_solved=0,
        reviewed_positive=0,
        unreviewed=0,
        unreviewed_solved=0,
        unreviewed_positive=0,
    )
    for r in rows:
        total.reviewed += r.reviewed
        total.reviewed_solved += r.reviewed_solved
        total.reviewed_positive += r.reviewed_positive
        total.unreviewed += r.unreviewed
        total.unreviewed_solved += r.unreviewed_solved
        total.unreviewed_positive += r.unreviewed_positive
    return total


# --- Series, link suggestions and case files ------------------------------------------------------------
#
# Series, suggestions and case files belong to a force: the caller sees its own force's. The incidents in
# them are read through ``force_incidents`` (the entitlement filter), so nothing outside the queue shows.


def _not_found() -> Http404:
    return Http404(NOT_FOUND_MESSAGE)


def _pk(value: object) -> int:
    try:
        return int(str(value))
    except ValueError as exc:
        raise _not_found() from exc


def series_queryset(viewer: Viewer) -> QuerySet[Series]:
    return owned_scope(Series.objects.all(), viewer)


def _newest_first(
    qs: QuerySet[Any], after: list[Any] | None, limit: int
) -> tuple[list[Any], list[Any] | None]:
    """One page of ``qs`` newest first (created_at, id), and the keyset cursor for the next."""
    return keyset_page(qs, newest(), after, limit)


def series_list(
    *, viewer: Viewer, after: list[Any] | None = None, limit: int = 200
) -> tuple[list[Series], list[Any] | None]:
    """The force's series, newest first, each with ``member_count`` (incidents the caller may see), and the
    keyset cursor for the next page."""
    visible = force_incidents(viewer).values("pk")
    qs: QuerySet[Series] = series_queryset(viewer).annotate(
        member_count=Count("members", filter=Q(members__incident__in=visible))
    )
    return _newest_first(qs, after, limit)


def series_get(*, viewer: Viewer, series_id: object) -> Series:
    """One series of the caller's force; the same 404 for missing and another force's."""
    series = series_queryset(viewer).filter(pk=_pk(series_id)).first()
    if series is None:
        raise _not_found()
    return series


def series_members(*, viewer: Viewer, series: Series) -> list[SeriesMember]:
    """The incidents in a series (that the caller may see), in the order they happened."""
    return list(
        SeriesMember.objects.filter(series=series, incident__in=force_incidents(viewer).values("pk"))
        .select_related("incident", "incident__store", "added_by")
        .order_by("incident__occurred_at", "incident_id")
    )


def series_for_incident(*, viewer: Viewer, incident: Incident) -> list[Series]:
    return list(series_queryset(viewer).filter(members__incident=incident).order_by("-created_at", "-id"))


def linkable_incidents(
    *, viewer: Viewer, reference: str = "", ids: list[int] | None = None, limit: int = 20
) -> list[Incident]:
    """Incidents of the caller's force queue to choose from when linking: those with ``ids``, or matching a
    reference (any part of it), or else the most recently sent."""
    qs = force_incidents(viewer).select_related("store").annotate(sent_at=_sent_at())
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    elif reference.strip():
        qs = qs.filter(reference__icontains=reference.strip())
    return list(qs.order_by("-sent_at", "-id")[:limit])


def suggestion_get(*, viewer: Viewer, suggestion_id: object) -> LinkSuggestion:
    """One link suggestion of the caller's force whose incidents the caller may see; else 404."""
    visible = force_incidents(viewer).values("pk")
    suggestion = (
        owned_scope(LinkSuggestion.objects.all(), viewer)
        .filter(pk=_pk(suggestion_id), incident_a__in=visible, incident_b__in=visible)
        .select_related("incident_a", "incident_b", "incident_a__store", "incident_b__store")
        .first()
    )
    if suggestion is None:
        raise _not_found()
    return suggestion


def casefile_queryset(viewer: Viewer) -> QuerySet[CaseFile]:
    return owned_scope(CaseFile.objects.all(), viewer)


def casefile_list(
    *, viewer: Viewer, after: list[Any] | None = None, limit: int = 200
) -> tuple[list[CaseFile], list[Any] | None]:
    """The force's case files, newest first, and the keyset cursor for the next page."""
    qs = casefile_queryset(viewer).select_related("created_by")
    return _newest_first(qs, after, limit)


def casefile_get(*, viewer: Viewer, casefile_id: object) -> CaseFile:
    """One case file of the caller's force; the same 404 for missing and another force's."""
    case = (
        casefile_queryset(viewer)
        .filter(pk=_pk(casefile_id))
        .select_related("force", "created_by", "incident", "series", "person")
        .first()
    )
    if case is None:
        raise _not_found()
    return case


def casefile_incidents(*, viewer: Viewer, case: CaseFile) -> list[Incident]:
    from .services.casefiles import casefile_incidents as covered

    return list(covered(viewer, case))


def casefile_statements(case: CaseFile) -> list[WitnessStatement]:
    return list(
        WitnessStatement.objects.filter(case_file=case)
        .select_related("witness", "incident")
        .order_by("created_at", "id")
    )


def casefile_target_person(*, viewer: Viewer, person_id: object) -> Person | None:
    """A person the caller may see (for an offender's case file), or None."""
    try:
        pk = int(str(person_id))
    except ValueError:
        return None
    return scope(Person.objects.all(), viewer).filter(pk=pk).first()


def casefile_target_incident(*, viewer: Viewer, incident_id: object) -> Incident | None:
    try:
        pk = int(str(incident_id))
    except ValueError:
        return None
    return force_incidents(viewer).filter(pk=pk).first()


def casefile_target_series(*, viewer: Viewer, series_id: object) -> Series | None:
    try:
        pk = int(str(series_id))
    except ValueError:
        return None
    return series_queryset(viewer).filter(pk=pk).first()


# --- Refused hand-off callbacks ------------------------------------------------------------------------


def refused_callbacks(*, viewer: Viewer, limit: int = 50) -> list[AuditEvent]:
    """Callbacks refused for the caller's force(s), newest first, from the audit trail."""
    return list(
        AuditEvent.objects.filter(
            object_type=CALLBACK_REFUSED, organisation_id__in=viewer.police_force_ids
        ).order_by("-at", "-id")[:limit]
    )

"""The cases an officer holds (taken, assigned or accepted), and for a supervisor, the team's.

A case stays on its officer's list after it is accepted, until an outcome is recorded (or it is rejected),
with what to do next and whether it is past its priority's response target (``policing.targets``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditAction, User
from shopwatch.reporting.models import Incident, Priority

from ..models import OPEN_STATES, CrimeRecord, Triage, TriageAction, TriageEvent, TriageState
from ..services.common import force_incidents, require_investigator, require_supervisor
from ..targets import due_at
from .queue import _sent_at, force_officers, with_overdue

CASE_LIMIT = 200


@dataclass
class CaseRow:
    incident: Incident
    triage: Triage
    record: CrimeRecord | None
    sent_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    next_action: str
    finished: bool


def _next_action(incident: Incident, triage: Triage, record: CrimeRecord | None, answered: bool) -> str:
    if triage.state == TriageState.REJECTED:
        return "None: not taken forward"
    if triage.state == TriageState.INFO_REQUESTED:
        return "Review what the store sent" if answered else "Waiting for the store to answer"
    if answered and triage.state in (TriageState.NEW, TriageState.ASSIGNED):
        return "Review what the store sent"
    if incident.priority == Priority.P1 and triage.attended_at is None:
        return "Attend the store"
    if triage.state in (TriageState.NEW, TriageState.ASSIGNED):
        return "Decide: accept, reject or ask the store"
    if record is None or not record.crime_reference:
        return "Record the crime reference"
    if not record.outcome:
        return "Record the outcome"
    return "None: outcome recorded"


def _held(viewer: Viewer) -> QuerySet[Incident]:
    return force_incidents(viewer).filter(triage__isnull=False).annotate(sent_at=_sent_at())


def _finished_q() -> Q:
    return Q(triage__state=TriageState.REJECTED) | Q(
        triage__state=TriageState.ACCEPTED, crime_record__outcome__gt=""
    )


def _rows(viewer: Viewer, qs: QuerySet[Incident], *, finished: bool, what: str) -> list[CaseRow]:
    qs = qs.filter(_finished_q()) if finished else qs.exclude(_finished_q())
    answered = TriageEvent.objects.filter(incident=OuterRef("pk"), action=TriageAction.STORE_ANSWERED)
    qs = (
        with_overdue(qs)
        .annotate(store_answered=Exists(answered))
        .select_related("store", "triage", "triage__assigned_to")
        .order_by("-overdue", "priority", "sent_at", "pk")
    )
    incidents: list[Any] = list(qs[:CASE_LIMIT])
    records = {r.incident_id: r for r in CrimeRecord.objects.filter(incident__in=incidents)}
    rows = []
    for inc in incidents:
        triage: Triage = inc.triage
        record = records.get(inc.pk)
        sent: dt.datetime = inc.sent_at
        rows.append(
            CaseRow(
                incident=inc,
                triage=triage,
                record=record,
                sent_at=sent,
                due_at=due_at(inc.priority, sent),
                overdue=bool(inc.overdue),
                next_action=_next_action(inc, triage, record, inc.store_answered),
                finished=finished,
            )
        )
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="incident",
            summary=f"{what}: listed {len(rows)} incidents",
            detail={"ids": [r.incident.pk for r in rows]},
        )
    return rows


def _mine_q(user_id: int) -> Q:
    """Held by the officer: assigned to or taken by them, or accepted by them."""
    return Q(triage__assigned_to_id=user_id) | Q(
        triage__decided_by_id=user_id, triage__state=TriageState.ACCEPTED
    )


def my_cases(*, viewer: Viewer, finished: bool = False) -> list[CaseRow]:
    """The incidents the signed-in officer has taken, been given or accepted: open ones (with an accepted
    case until its outcome is recorded), or with ``finished`` the rejected and concluded ones."""
    require_investigator(viewer)
    assert viewer.user_id is not None
    return _rows(viewer, _held(viewer).filter(_mine_q(viewer.user_id)), finished=finished, what="My cases")


@dataclass
class OfficerCases:
    officer: User
    cases: list[CaseRow] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for c in self.cases if c.overdue)


def team_cases(*, viewer: Viewer) -> list[OfficerCases]:
    """For a supervisor: each officer of the force with the open cases they hold (most overdue first),
    officers holding nothing included, so the supervisor sees who has room."""
    require_supervisor(viewer)
    rows = _rows(
        viewer,
        _held(viewer).filter(triage__assigned_to__isnull=False),
        finished=False,
        what="Team cases",
    )
    team = {u.pk: OfficerCases(u) for u in force_officers(viewer)}
    for row in rows:
        holder = row.triage.assigned_to
        if holder is None:
            continue
        team.setdefault(holder.pk, OfficerCases(holder)).cases.append(row)
    return sorted(team.values(), key=lambda o: (-o.overdue, -len(o.cases), o.officer.full_name))


def overdue_unassigned(*, viewer: Viewer) -> int:
    """Overdue incidents in the queue that nobody holds yet (for the supervisor's team page)."""
    qs = force_incidents(viewer).filter(
        Q(triage__isnull=True) | Q(triage__assigned_to__isnull=True, triage__state__in=OPEN_STATES)
    )
    return with_overdue(qs.annotate(sent_at=_sent_at()).order_by()).filter(overdue=True).count()

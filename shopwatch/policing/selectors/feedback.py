"""Feedback for the store: what the police did with an incident, and notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shopwatch.core.entitlements import Viewer, get_visible

from ..models import (
    CrimeRecord,
    CrimeRecordChange,
    Notification,
    OutcomeType,
    PoliceStatus,
    Triage,
    TriageEvent,
    TriageState,
)


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


def police_feedback(*, viewer: Viewer, incident_id: int) -> PoliceFeedback | None:
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

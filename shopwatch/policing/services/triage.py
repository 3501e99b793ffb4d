"""The triage queue's writes: assign, take, accept, reject, ask the store for more, record attendance."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Role, User
from shopwatch.reporting.models import Incident, IncidentStatus
from shopwatch.reporting.services import incident_set_status

from ..models import Triage, TriageAction, TriageEvent, TriageState
from .common import require_investigator, require_supervisor
from .handoff import delivery_enqueue
from .notifications import notification_create_for_store

MAX_REASON = 1000


class Decision:
    ACCEPT = "accept"
    REJECT = "reject"
    REQUEST_INFO = "request_info"
    ALL = ("accept", "reject", "request_info")


def _triage_for(incident: Incident) -> Triage:
    triage, _ = Triage.objects.select_for_update().get_or_create(
        incident=incident, defaults={"force_id": incident.force_id}
    )
    return triage


def _event(
    viewer: Viewer,
    incident: Incident,
    action: str,
    note: str = "",
    assignee: User | None = None,
    at: dt.datetime | None = None,
) -> TriageEvent:
    event = TriageEvent.objects.create(
        incident=incident,
        action=action,
        actor_id=viewer.user_id,
        assignee=assignee,
        note=note[:MAX_REASON],
        at=at or timezone.now(),
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        organisation_id=incident.force_id,
        summary=f"{incident.reference}: triage {action}" + (f" — {note}" if note else ""),
        detail={"triage": action, "assignee": assignee.pk if assignee else None},
    )
    return event


def _reason(reason: str, *, required: bool, what: str) -> str:
    reason = (reason or "").strip()
    if "\x00" in reason:
        raise ValidationFailed([FieldError("reason", "Must not contain NUL characters.")])
    if required and not reason:
        raise ValidationFailed([FieldError("reason", f"Say {what}.")])
    if len(reason) > MAX_REASON:
        raise ValidationFailed([FieldError("reason", f"Must be at most {MAX_REASON:,} characters.")])
    return reason


def _open(triage: Triage) -> None:
    if triage.state in (TriageState.ACCEPTED, TriageState.REJECTED):
        raise Conflict(
            [FieldError("decision", f"This incident was already {triage.get_state_display().lower()}.")],
            title="Already decided",
        )


@transaction.atomic
def triage_decide(
    *, viewer: Viewer, incident: Incident, decision: str, reason: str = "", cctv: bool = False
) -> Triage:
    """Accept (hands it off to crime recording), reject with a reason, or ask the store for more.

    Accepting an incident already accepted is answered as done, so a retried request changes nothing.
    """
    require_investigator(viewer, incident)
    if decision not in Decision.ALL:
        raise ValidationFailed([FieldError("decision", f"Must be one of: {', '.join(Decision.ALL)}.")])
    triage = _triage_for(incident)
    if decision == Decision.ACCEPT and triage.state == TriageState.ACCEPTED:
        return triage
    if decision == Decision.REJECT and triage.state == TriageState.REJECTED:
        return triage
    _open(triage)
    now = timezone.now()
    if decision == Decision.ACCEPT:
        text = _reason(reason, required=False, what="why")
        triage.state = TriageState.ACCEPTED
        triage.decided_by_id, triage.decided_at, triage.reason = viewer.user_id, now, text
        if triage.assigned_to_id is None:
            triage.assigned_to_id, triage.assigned_at = viewer.user_id, now
        _event(viewer, incident, TriageAction.ACCEPT, text, at=now)
        incident_set_status(
            viewer=viewer,
            incident=incident,
            status=IncidentStatus.WITH_POLICE,
            note="Accepted by the business crime team",
        )
        delivery_enqueue(viewer=viewer, incident=incident)
        notification_create_for_store(
            incident=incident,
            subject=f"{incident.reference}: accepted by {incident.force.name}",
            body="The police business crime team has accepted your report and is recording it as a crime. "
            "You will be told the crime reference number when the force gives it.",
        )
    elif decision == Decision.REJECT:
        text = _reason(reason, required=True, what="why it is rejected, so the store can understand")
        triage.state = TriageState.REJECTED
        triage.decided_by_id, triage.decided_at, triage.reason = viewer.user_id, now, text
        _event(viewer, incident, TriageAction.REJECT, text, at=now)
        notification_create_for_store(
            incident=incident,
            subject=f"{incident.reference}: not taken forward by {incident.force.name}",
            body=f"The police business crime team will not take this report forward. Their reason: {text}",
        )
    else:
        what = "CCTV" if cctv else "information"
        text = _reason(reason, required=True, what=f"what {what} the store should send")
        triage.state = TriageState.INFO_REQUESTED
        triage.reason = text
        _event(
            viewer, incident, TriageAction.REQUEST_CCTV if cctv else TriageAction.REQUEST_INFO, text, at=now
        )
        notification_create_for_store(
            incident=incident,
            subject=f"{incident.reference}: {incident.force.name} asks for {what}",
            body=f"The police business crime team asks for more {what} about this incident: {text}",
        )
    triage.updated_at = now
    triage.save(
        update_fields=[
            "state",
            "decided_by",
            "decided_at",
            "reason",
            "assigned_to",
            "assigned_at",
            "updated_at",
        ]
    )
    return triage


def _officer_of_force(user_id: int | None, force_id: int) -> User:
    user = User.objects.filter(
        pk=user_id or 0,
        is_active=True,
        memberships__organisation_id=force_id,
        memberships__active=True,
        memberships__role__in=[Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR],
    ).first()
    if user is None:
        raise ValidationFailed([FieldError("assignee", "Choose an investigator of this force.")])
    return user


@transaction.atomic
def triage_assign(*, viewer: Viewer, incident: Incident, assignee_id: int) -> Triage:
    """A supervisor gives an incident to one of the force's investigators."""
    require_supervisor(viewer, incident)
    assignee = _officer_of_force(assignee_id, incident.force_id)
    triage = _triage_for(incident)
    _open(triage)
    now = timezone.now()
    triage.assigned_to, triage.assigned_at, triage.updated_at = assignee, now, now
    if triage.state == TriageState.NEW:
        triage.state = TriageState.ASSIGNED
    triage.save(update_fields=["assigned_to", "assigned_at", "state", "updated_at"])
    _event(
        viewer, incident, TriageAction.ASSIGN, f"Assigned to {assignee.full_name}", assignee=assignee, at=now
    )
    return triage


@transaction.atomic
def triage_take(*, viewer: Viewer, incident: Incident) -> Triage:
    """An investigator takes an incident from the queue for themselves."""
    require_investigator(viewer, incident)
    me = _officer_of_force(viewer.user_id, incident.force_id)
    triage = _triage_for(incident)
    _open(triage)
    if triage.assigned_to_id not in (None, me.pk) and not can(viewer, Action.SUPERVISE, incident):
        raise Conflict(
            [FieldError("assignee", "Already assigned to another investigator; ask a supervisor.")],
            title="Already assigned",
        )
    now = timezone.now()
    triage.assigned_to, triage.assigned_at, triage.updated_at = me, now, now
    if triage.state == TriageState.NEW:
        triage.state = TriageState.ASSIGNED
    triage.save(update_fields=["assigned_to", "assigned_at", "state", "updated_at"])
    _event(viewer, incident, TriageAction.TAKE, assignee=me, at=now)
    return triage


@transaction.atomic
def triage_record_attendance(
    *, viewer: Viewer, incident: Incident, attended_at: dt.datetime | None = None, note: str = ""
) -> Triage:
    """Record that officers attended the store (the Retail Crime Action Plan's commitment)."""
    require_investigator(viewer, incident)
    now = timezone.now()
    when = attended_at or now
    if timezone.is_naive(when):
        raise ValidationFailed([FieldError("attended_at", "Give a time with its time zone.")])
    if when > now + dt.timedelta(minutes=5):
        raise ValidationFailed([FieldError("attended_at", "Must not be in the future.")])
    if when < incident.occurred_at - dt.timedelta(minutes=5):
        raise ValidationFailed([FieldError("attended_at", "Must not be before the incident happened.")])
    text = _reason(note, required=False, what="")
    triage = _triage_for(incident)
    triage.attended_at, triage.attended_by_id, triage.updated_at = when, viewer.user_id, now
    triage.save(update_fields=["attended_at", "attended_by", "updated_at"])
    _event(
        viewer,
        incident,
        TriageAction.ATTEND,
        text or f"Attended {timezone.localtime(when):%d %b %Y %H:%M}",
        at=now,
    )
    return triage


@transaction.atomic
def triage_request_cctv(
    *, viewer: Viewer, incident: Incident, reason: str, hours: int | None = None
) -> tuple[Triage, str]:
    """Ask the store for CCTV and make a single-use upload link for it (the evidence upload link).

    Returns the triage and the link's token, shown once to the investigator to pass to the store; only its
    hash is kept, so it is not put in the store's notification.
    """
    from shopwatch.uploads.services.uploaders import upload_link_create

    triage = triage_decide(
        viewer=viewer, incident=incident, decision=Decision.REQUEST_INFO, reason=reason, cctv=True
    )
    link = upload_link_create(viewer=viewer, incident_id=incident.pk, hours=hours, note=triage.reason[:500])
    return triage, link.token

"""The police API: the triage queue, triage decisions, the force's signed hand-off callback, outcomes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, StrictBool, StrictStr

from shopwatch.core.api import (
    CursorParam,
    Id,
    ProblemError,
    ProblemOut,
    StrictId,
    decode_cursor,
    encode_cursor,
    next_url,
    problem,
    viewer_of,
)
from shopwatch.core.errors import FieldError, ServiceError

from .models import OutcomeType, PoliceStatus, TriageState
from .selectors import feedback, outcomes
from .selectors.queue import queue_page
from .services import records, triage
from .services.common import force_incident, require_investigator
from .targets import target_words

router = Router(tags=["police"])

ERRORS: dict[int, Any] = {
    400: ProblemOut,
    401: ProblemOut,
    403: ProblemOut,
    404: ProblemOut,
    409: ProblemOut,
    415: ProblemOut,
    422: ProblemOut,
    429: ProblemOut,
}


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class QueueQuery(Schema):
    cursor: CursorParam | None = None
    limit: int = Field(50, ge=1, le=200)
    assigned: Literal["me"] | None = Field(None, description="'me' for only what is assigned to the caller")
    state: TriageState | None = None
    overdue: bool = Field(
        False, description="true for only incidents past their priority's response target (policing targets)"
    )


class QueueItemOut(Schema):
    id: int
    reference: str
    priority: str
    priority_score: int
    priority_reasons: list[str]
    type: str
    offence_label: str
    occurred_at: dt.datetime
    sent_at: dt.datetime
    waiting_seconds: int
    store: int
    store_name: str
    evidence_count: int
    known_person: bool
    triage_state: str
    assigned_to: int | None
    response_target: str = Field(description="What the priority's target asks, e.g. 'attend within 1 hour'")
    due_at: dt.datetime = Field(description="When the response target falls due (sent_at plus the target)")
    overdue: bool = Field(description="Still waiting for the response the target asks for, past due_at")


class QueueOut(Schema):
    items: list[QueueItemOut]
    next: str | None


@router.get("/police/queue", response={200: QueueOut, **ERRORS}, summary="Your force's triage queue")
def police_queue(request: HttpRequest, filters: Query[QueueQuery]) -> Any:
    """Open incidents sent to the caller's force, in Retail Crime Action Plan order: priority (P1 first),
    then an offender on scene or violence happening now, then priority score (highest first), then the
    longest waiting. Follow `next` until it is null."""
    viewer = viewer_of(request)
    after = decode_cursor(filters.cursor, "str", "int", "int", "datetime", "int")
    if after is not None and len(after) != 5:
        raise ProblemError(400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")])
    try:
        with transaction.atomic():
            rows, cursor = queue_page(
                viewer=viewer,
                after=after,
                limit=filters.limit,
                assigned_to=viewer.user_id if filters.assigned == "me" else None,
                state=str(filters.state) if filters.state else None,
                overdue=filters.overdue,
            )
    except (TypeError, ValueError) as exc:
        raise ProblemError(
            400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")]
        ) from exc
    items = [
        {
            "id": r.incident.pk,
            "reference": r.incident.reference,
            "priority": r.incident.priority,
            "priority_score": r.incident.priority_score,
            "priority_reasons": r.incident.priority_reasons,
            "type": r.incident.type,
            "offence_label": r.incident.offence_label,
            "occurred_at": r.incident.occurred_at,
            "sent_at": r.sent_at,
            "waiting_seconds": int(r.waiting.total_seconds()),
            "store": r.incident.store_id,
            "store_name": r.incident.store.name,
            "evidence_count": r.evidence_count,
            "known_person": r.known_person,
            "triage_state": r.state,
            "assigned_to": r.assigned_to.pk if r.assigned_to else None,
            "response_target": target_words(r.incident.priority),
            "due_at": r.due_at,
            "overdue": r.overdue,
        }
        for r in rows
    ]
    return {"items": items, "next": next_url(request, encode_cursor(cursor) if cursor else None)}


class TriageIn(_Strict):
    decision: Literal["accept", "reject", "request_info"]
    reason: StrictStr = Field("", max_length=1000, description="Required to reject or to ask for information")
    cctv: StrictBool = Field(False, description="With request_info: the request is for CCTV")


class TriageOut(Schema):
    id: int
    triage_state: str
    reason: str
    status: str
    handoff: str | None = Field(
        None, description="pending, delivered or dead: the hand-off to crime recording"
    )
    upload_link: str | None = Field(
        None,
        description="With a CCTV request: the single-use link for the store to send footage (shown once)",
    )


def _triage_body(incident_id: int) -> dict[str, Any]:
    from shopwatch.reporting.models import Incident

    from .models import Delivery, Triage

    t = Triage.objects.get(incident_id=incident_id)
    delivery = Delivery.objects.filter(incident_id=incident_id).order_by("-id").first()
    return {
        "id": incident_id,
        "triage_state": t.state,
        "reason": t.reason,
        "status": Incident.objects.values_list("status", flat=True).get(pk=incident_id),
        "handoff": delivery.status if delivery else None,
    }


@router.post(
    "/incidents/{incident_id}/triage", response={200: TriageOut, **ERRORS}, summary="Triage decision"
)
def triage_incident(request: HttpRequest, incident_id: Id, payload: TriageIn) -> Any:
    """Accept (queues the hand-off to the force's crime recording), reject with a reason, or ask the store
    for more information or CCTV. Another force's incident answers 404."""
    viewer = viewer_of(request)
    with transaction.atomic():
        incident = force_incident(viewer, incident_id)
        token = None
        if payload.decision == "request_info" and payload.cctv:
            _, token = triage.triage_request_cctv(viewer=viewer, incident=incident, reason=payload.reason)
        else:
            triage.triage_decide(
                viewer=viewer,
                incident=incident,
                decision=payload.decision,
                reason=payload.reason,
                cctv=payload.cctv,
            )
    body = _triage_body(incident.pk)
    if token:
        body["upload_link"] = request.build_absolute_uri(f"/u/{token}/")
    return body


class AssignIn(_Strict):
    assignee: StrictId | None = Field(
        None, description="User id of an investigator of the force; omit to take it"
    )


@router.post("/incidents/{incident_id}/assign", response={200: TriageOut, **ERRORS}, summary="Assign or take")
def assign_incident(request: HttpRequest, incident_id: Id, payload: AssignIn) -> Any:
    viewer = viewer_of(request)
    with transaction.atomic():
        incident = force_incident(viewer, incident_id)
        if payload.assignee is None or payload.assignee == viewer.user_id:
            triage.triage_take(viewer=viewer, incident=incident)
        else:
            triage.triage_assign(viewer=viewer, incident=incident, assignee_id=payload.assignee)
    return _triage_body(incident.pk)


class CrimeRecordIn(_Strict):
    crime_reference: StrictStr | None = Field(None, max_length=40)
    status: PoliceStatus | None = None
    outcome: OutcomeType | None = None
    cbo_applied: StrictBool | None = None
    cbo_granted: StrictBool | None = None
    note: StrictStr = Field("", max_length=500)


class CrimeRecordOut(Schema):
    incident: int
    crime_reference: str
    status: str
    outcome: str
    cbo_applied: bool
    cbo_granted: bool
    applied: bool
    warnings: list[dict[str, str]]


@router.post(
    "/incidents/{incident_id}/crime-record",
    response={200: CrimeRecordOut, **ERRORS},
    summary="Enter crime reference, status or outcome by hand",
)
def crime_record(request: HttpRequest, incident_id: Id, payload: CrimeRecordIn) -> Any:
    """For investigators: outcome types that contradict the status are refused (422) with the reason."""
    viewer = viewer_of(request)
    with transaction.atomic():
        incident = force_incident(viewer, incident_id)
        require_investigator(viewer)
        result = records.crime_record_update(
            viewer=viewer,
            incident=incident,
            crime_reference=payload.crime_reference,
            status=str(payload.status) if payload.status else None,
            outcome=str(payload.outcome) if payload.outcome else None,
            cbo_applied=payload.cbo_applied,
            cbo_granted=payload.cbo_granted,
            note=payload.note,
        )
    r = result.record
    return {
        "incident": incident.pk,
        "crime_reference": r.crime_reference,
        "status": r.status,
        "outcome": r.outcome,
        "cbo_applied": r.cbo_applied,
        "cbo_granted": r.cbo_granted,
        "applied": result.changed,
        "warnings": [w.as_dict() for w in result.warnings],
    }


class CallbackOut(Schema):
    incident: int
    applied: bool
    duplicate: bool
    crime_reference: str
    status: str
    warnings: list[dict[str, str]]


@router.post(
    "/handoff/callback",
    auth=None,
    response={200: CallbackOut, **ERRORS},
    summary="The force's crime recording reports back (signed)",
)
def handoff_callback(request: HttpRequest) -> HttpResponse:
    """Body `{"incident": <id>, "crime_reference": "...", "status": "crime_recorded" | "no_crime" |
    "under_investigation" | "charged" | "closed"}`, with `X-ShopWatch-Signature: sha256=<hex HMAC-SHA256 of
    the body under the force's secret>`. Unsigned or wrongly signed: 401, and logged. A repeat of a body
    already applied answers `duplicate: true` and changes nothing. A crime reference already used for another
    incident of the force is applied and flagged in `warnings`."""
    if (request.content_type or "") != "application/json":
        return problem(
            415, "Unsupported content type", [{"field": "Content-Type", "message": "Send application/json."}]
        )
    remote = str(request.META.get("REMOTE_ADDR", ""))
    try:
        result = records.callback_apply(
            body=request.body, signature=request.headers.get("X-ShopWatch-Signature"), remote=remote
        )
    except ServiceError as exc:
        return problem(exc.status_code, exc.title, [e.as_dict() for e in exc.errors])
    body = {
        "incident": result.incident_id,
        "applied": result.applied,
        "duplicate": result.duplicate,
        "crime_reference": result.crime_reference,
        "status": result.status,
        "warnings": [w.as_dict() for w in result.warnings],
    }
    return HttpResponse(json.dumps(body), content_type="application/json")


class RatesQuery(Schema):
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    period: Literal["month", "quarter"] = "month"
    area: Literal["town", "store", "force"] = "town"


@router.get(
    "/police/outcome-rates",
    response={200: list[dict[str, Any]], **ERRORS},
    summary="Solved and positive-outcome rates, reviewed against unreviewed",
)
def outcome_rates(request: HttpRequest, filters: Query[RatesQuery]) -> Any:
    rows = outcomes.outcome_rates(
        viewer=viewer_of(request),
        date_from=filters.date_from,
        date_to=filters.date_to,
        period=filters.period,
        area=filters.area,
    )
    return [
        {
            "period": r.period.isoformat(),
            "area": r.area,
            "reviewed": r.reviewed,
            "unreviewed": r.unreviewed,
            "reviewed_solved_rate": r.reviewed_solved_rate,
            "unreviewed_solved_rate": r.unreviewed_solved_rate,
            "reviewed_positive_rate": r.reviewed_positive_rate,
            "unreviewed_positive_rate": r.unreviewed_positive_rate,
            "solved_rate": r.solved_rate,
            "positive_rate": r.positive_rate,
        }
        for r in rows
    ]


class AttendanceIn(_Strict):
    attended_at: dt.datetime | None = Field(None, description="When officers attended; defaults to now")
    note: StrictStr = Field("", max_length=1000)


class AttendanceOut(Schema):
    id: int
    attended_at: dt.datetime
    attended_by: int | None


@router.post(
    "/incidents/{incident_id}/attendance",
    response={200: AttendanceOut, **ERRORS},
    summary="Record that officers attended",
)
def record_attendance(request: HttpRequest, incident_id: Id, payload: AttendanceIn) -> Any:
    viewer = viewer_of(request)
    with transaction.atomic():
        incident = force_incident(viewer, incident_id)
        t = triage.triage_record_attendance(
            viewer=viewer, incident=incident, attended_at=payload.attended_at, note=payload.note
        )
    return {"id": incident.pk, "attended_at": t.attended_at, "attended_by": t.attended_by_id}


class FeedbackOut(Schema):
    incident: int
    sent_to_police: bool
    review: str = Field(description="new, assigned, info_requested, accepted or rejected")
    review_reason: str
    crime_reference: str
    status: str = Field(description="The force's status: crime_recorded, no_crime, under_investigation, ...")
    outcome: str = Field(
        description="Home Office outcome type number, e.g. '1' charged, '8' community resolution"
    )
    outcome_label: str
    cbo_applied: bool
    cbo_granted: bool
    updated_at: dt.datetime | None


@router.get(
    "/incidents/{incident_id}/police-feedback",
    response={200: FeedbackOut, **ERRORS},
    summary="What the police did with an incident",
)
def police_feedback(request: HttpRequest, incident_id: Id) -> Any:
    """For the reporting store and anyone else who may see the incident: the police review, the crime
    reference, the force's status and the outcome. 404 for an incident the caller may not see."""
    f = feedback.police_feedback(viewer=viewer_of(request), incident_id=incident_id)
    if f is None:
        return {
            "incident": incident_id,
            "sent_to_police": False,
            "review": "",
            "review_reason": "",
            "crime_reference": "",
            "status": "",
            "outcome": "",
            "outcome_label": "",
            "cbo_applied": False,
            "cbo_granted": False,
            "updated_at": None,
        }
    return {
        "incident": incident_id,
        "sent_to_police": True,
        "review": f.triage_state,
        "review_reason": f.triage_reason,
        "crime_reference": f.crime_reference,
        "status": f.status,
        "outcome": f.outcome,
        "outcome_label": f.outcome_label,
        "cbo_applied": f.cbo_applied,
        "cbo_granted": f.cbo_granted,
        "updated_at": f.updated_at,
    }


from .api_cases import router as cases_router  # noqa: E402  (linking and case files, same tag)

router.add_router("", cases_router)

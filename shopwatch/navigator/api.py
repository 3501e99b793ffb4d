"""Navigator casework through the API: the caseload, one case, consent, and the PCC's aggregate outcomes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from shopwatch.core.api import (
    CursorParam,
    Id,
    ProblemError,
    ProblemOut,
    decode_cursor,
    encode_cursor,
    next_url,
    viewer_of,
)
from shopwatch.core.errors import FieldError

from . import selectors, services
from .models import NavigatorCase

router = Router(tags=["navigator"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ProblemOut)


class CaseOut(Schema):
    id: int
    person: int
    person_name: str
    source: str = Field(description="police, partnership, probation or outreach")
    referred_by: str
    reason: str
    referred_at: dt.date
    consent: str = Field(description="pending, given, refused or withdrawn")
    consent_at: dt.date | None
    status: str = Field(description="referred, active (engaged) or closed")
    engaged_at: dt.date | None
    shared_with_police: bool
    closed_at: dt.date | None
    closure_reason: str


class CaseListOut(Schema):
    items: list[CaseOut]
    next: str | None


class NeedOut(Schema):
    area: str
    detail: str
    recorded_at: dt.date


class ContactOut(Schema):
    kind: str
    on: dt.date
    note: str


class OnwardOut(Schema):
    id: int
    service: str
    area: str
    referred_on: dt.date
    outcome: str


class GoalOut(Schema):
    text: str
    progress: int
    achieved_on: dt.date | None


class BeforeAfterOut(Schema):
    months: int
    before: int = Field(description="Incidents naming the person in the months before engagement")
    after: int = Field(description="Incidents naming the person since engagement (up to the same months)")
    after_days: int


class CaseDetailOut(CaseOut):
    prompting_incidents: list[int]
    needs: list[NeedOut] = Field(description="Empty unless the person's consent stands")
    contacts: list[ContactOut]
    onward_referrals: list[OnwardOut]
    goals: list[GoalOut]
    offending: list[BeforeAfterOut] = Field(description="Before and after engagement, over 6 and 12 months")


def _case(c: NavigatorCase) -> dict[str, Any]:
    return {
        "id": c.pk,
        "person": c.person_id,
        "person_name": f"{c.person.given_name} {c.person.family_name}".strip(),
        "source": c.source,
        "referred_by": c.referred_by,
        "reason": c.reason,
        "referred_at": c.referred_at,
        "consent": c.consent,
        "consent_at": c.consent_at,
        "status": c.status,
        "engaged_at": c.engaged_at,
        "shared_with_police": c.shared_with_police,
        "closed_at": c.closed_at,
        "closure_reason": c.closure_reason,
    }


@router.get("/navigator/cases", response={200: CaseListOut, **ERRORS}, summary="The navigator's caseload")
def cases(
    request: HttpRequest,
    status: Literal["referred", "active", "closed"] | None = None,
    cursor: CursorParam | None = None,
) -> Any:
    """Cases of the caller's navigator organisation, newest referral first. Everyone else (stores,
    partnerships, police, PCC offices) gets an empty list: casework is special category data."""
    viewer = viewer_of(request)
    after = decode_cursor(cursor, "int")
    rows, more = selectors.case_list(viewer=viewer, after=after, status=status)
    return {
        "items": [_case(c) for c in rows],
        "next": next_url(request, encode_cursor(more) if more else None),
    }


@router.get("/navigator/cases/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="One case")
def case(request: HttpRequest, case_id: Id) -> Any:
    """One case with its needs, contacts, onward referrals, goals and offending before and after
    engagement; before consent (or after it is withdrawn) only the referral."""
    viewer = viewer_of(request)
    d = selectors.case_detail(viewer=viewer, case_id=case_id)
    offending = []
    if selectors.details_visible(d.case):
        for months in (6, 12):
            figures = selectors.before_after(d.case, months=months)
            if figures is not None:
                offending.append(figures.__dict__)
    return {
        **_case(d.case),
        "prompting_incidents": sorted(d.case.prompting_incidents.values_list("pk", flat=True)),
        "needs": [{"area": n.area, "detail": n.detail, "recorded_at": n.recorded_at} for n in d.needs],
        "contacts": [{"kind": c.kind, "on": c.on, "note": c.note} for c in d.contacts],
        "onward_referrals": [
            {
                "id": o.pk,
                "service": o.service,
                "area": o.area,
                "referred_on": o.referred_on,
                "outcome": o.outcome,
            }
            for o in d.onward_referrals
        ],
        "goals": [{"text": g.text, "progress": g.progress, "achieved_on": g.achieved_on} for g in d.goals],
        "offending": offending,
    }


class ConsentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    consent: Literal["given", "refused", "withdrawn"]
    on: dt.date


@router.post(
    "/navigator/cases/{case_id}/consent", response={200: CaseOut, **ERRORS}, summary="Record consent"
)
def consent(request: HttpRequest, case_id: Id, payload: ConsentIn) -> Any:
    viewer = viewer_of(request)
    c = services.case_consent_record(viewer=viewer, case_id=case_id, consent=payload.consent, on=payload.on)
    return _case(selectors.case_get(viewer=viewer, case_id=c.pk, audit=False))


class OutcomesOut(Schema):
    months: int
    people: int | None = Field(description="Engaged people counted; null when under 5 (suppressed)")
    before: int | None
    after: int | None
    stopped: int | None = Field(description="People with offending before and none after")


@router.get("/navigator/outcomes", response={200: OutcomesOut, **ERRORS}, summary="Diversion outcomes (PCC)")
def outcomes(request: HttpRequest, months: int = 6) -> Any:
    """Offending before and after engagement in the PCC office's force area, in aggregate only, counts
    under 5 suppressed. Open to PCC scrutiny users; 404 for everyone else."""
    viewer = viewer_of(request)
    if months not in (6, 12):
        raise ProblemError(422, "Some fields are not valid", [FieldError("months", "6 or 12.")])
    return selectors.pcc_outcomes(viewer=viewer, months=months).__dict__


class EngagementOut(Schema):
    person: int
    engaged: bool = Field(description='True: "engaged with a diversion programme", shared by the navigator')


@router.get("/navigator/engagement", response={200: EngagementOut, **ERRORS}, summary="Engagement (police)")
def engagement(request: HttpRequest, person: Id) -> Any:
    """For police of the force area: whether the person is engaged with a diversion programme, when the
    navigator chose to share it. Nothing else of a case; false for everyone else."""
    viewer = viewer_of(request)
    return {"person": person, "engaged": selectors.engaged_for_police(viewer=viewer, person_id=person)}

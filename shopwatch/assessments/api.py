"""Self-assessments through the API: the question sets, completing one, and uptake for PCC offices and
partnerships."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from shopwatch.core.api import Id, ProblemOut, StrictId, viewer_of

from . import selectors, services
from .models import Assessment, Enrolment, QuestionSet

router = Router(tags=["assessments"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 422, 429), ProblemOut)


class AnswerChoiceOut(Schema):
    value: str
    label: str
    points: int


class QuestionOut(Schema):
    id: str
    area: str
    text: str
    answers: list[AnswerChoiceOut]
    advice: str = Field(description="Plain-language advice given when the answer is not the best one")


class AreaOut(Schema):
    key: str
    title: str


class TemplateOut(Schema):
    id: int
    slug: str
    version: int
    title: str
    summary: str
    source: str
    areas: list[AreaOut]
    questions: list[QuestionOut]


class TemplateListOut(Schema):
    items: list[TemplateOut]
    next: str | None


def _template(q: QuestionSet) -> dict[str, Any]:
    return {
        "id": q.pk,
        "slug": q.slug,
        "version": q.version,
        "title": q.title,
        "summary": q.summary,
        "source": q.source,
        "areas": q.areas,
        "questions": q.questions,
    }


@router.get("/assessments/templates", response={200: TemplateListOut, **ERRORS}, summary="Question sets")
def templates(request: HttpRequest) -> Any:
    """The current version of each self-assessment's question set (cyber: the NCSC Small Business Guide's
    five areas; premises security)."""
    viewer = viewer_of(request)
    return {"items": [_template(q) for q in selectors.template_list(viewer=viewer)], "next": None}


class NextStepOut(Schema):
    question: str
    area: str
    advice: str


class AssessmentOut(Schema):
    id: int
    template: int
    title: str
    store: int | None
    score: int = Field(description="Per cent of the points available")
    area_scores: dict[str, int]
    next_steps: list[NextStepOut]
    certificate_number: str
    completed_at: dt.datetime


def _assessment(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "template": a.question_set_id,
        "title": a.question_set.title,
        "store": a.store_id,
        "score": a.score,
        "area_scores": a.area_scores,
        "next_steps": a.next_steps,
        "certificate_number": a.certificate_number,
        "completed_at": a.completed_at,
    }


class AssessmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    template: StrictId
    store: StrictId
    answers: dict[str, str] = Field(description="Question id to answer value")


@router.post("/assessments", response={201: AssessmentOut, **ERRORS}, summary="Complete a self-assessment")
def submit(request: HttpRequest, payload: AssessmentIn) -> Any:
    viewer = viewer_of(request)
    a = services.assessment_submit(
        viewer=viewer, question_set_id=payload.template, store_id=payload.store, answers=payload.answers
    )
    return Status(201, _assessment(a))


@router.get("/assessments/{assessment_id}", response={200: AssessmentOut, **ERRORS}, summary="One assessment")
def detail(request: HttpRequest, assessment_id: Id) -> Any:
    viewer = viewer_of(request)
    return _assessment(selectors.assessment_get(viewer=viewer, assessment_id=assessment_id))


class UptakeOut(Schema):
    slug: str
    title: str
    stores: int | None = Field(description="Stores that completed it; null when under 5 (suppressed)")
    average: int | None
    area_averages: dict[str, int | None]


@router.get("/insights/assessments", response={200: list[UptakeOut], **ERRORS}, summary="Assessment uptake")
def uptake(request: HttpRequest) -> Any:
    """Uptake and average scores by area, in aggregate, for a PCC office's force area or a partnership
    manager's stores; 404 for everyone else."""
    viewer = viewer_of(request)
    return [u.__dict__ for u in selectors.uptake(viewer=viewer)]


class ProgrammeOut(Schema):
    id: int
    title: str
    kind: str
    funder: str
    funding_note: str
    partnership: int
    places: int
    eligibility: str
    assessment: str = Field(description="The slug of the self-assessment that goes with it, if any")
    starts_on: dt.date
    ends_on: dt.date | None
    enrolled: int
    attending: int
    completed: int


class ProgrammeListOut(Schema):
    items: list[ProgrammeOut]
    next: str | None


@router.get("/programmes", response={200: ProgrammeListOut, **ERRORS}, summary="Prevention programmes")
def programmes(request: HttpRequest) -> Any:
    """Funded prevention programmes in the caller's partnerships (PCC: its force area), with uptake."""
    viewer = viewer_of(request)
    items = [
        {
            "id": f.programme.pk,
            "title": f.programme.title,
            "kind": f.programme.kind,
            "funder": f.programme.funder.name,
            "funding_note": f.programme.funding_note,
            "partnership": f.programme.partnership_id,
            "places": f.programme.places,
            "eligibility": f.programme.eligibility,
            "assessment": f.programme.question_set_slug,
            "starts_on": f.programme.starts_on,
            "ends_on": f.programme.ends_on,
            "enrolled": f.enrolled,
            "attending": f.attending,
            "completed": f.completed,
        }
        for f in selectors.programme_list(viewer=viewer)
    ]
    return {"items": items, "next": None}


class EnrolIn(Schema):
    model_config = ConfigDict(extra="forbid")
    store: StrictId


class EnrolmentOut(Schema):
    id: int
    programme: int
    store: int | None
    status: str
    sessions_attended: int
    enrolled_on: dt.date
    completed_on: dt.date | None


def _enrolment(e: Enrolment) -> dict[str, Any]:
    return {
        "id": e.pk,
        "programme": e.programme_id,
        "store": e.store_id,
        "status": e.status,
        "sessions_attended": e.sessions_attended,
        "enrolled_on": e.enrolled_on,
        "completed_on": e.completed_on,
    }


@router.post(
    "/programmes/{programme_id}/enrolments", response={201: EnrolmentOut, **ERRORS}, summary="Enrol a store"
)
def enrol(request: HttpRequest, programme_id: Id, payload: EnrolIn) -> Any:
    viewer = viewer_of(request)
    e = services.enrolment_create(viewer=viewer, programme_id=programme_id, store_id=payload.store)
    return Status(201, _enrolment(e))


class AttendanceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    sessions_attended: int = Field(ge=0, le=100)
    completed: bool = False


@router.post(
    "/enrolments/{enrolment_id}/attendance",
    response={200: EnrolmentOut, **ERRORS},
    summary="Record attendance",
)
def attendance(request: HttpRequest, enrolment_id: Id, payload: AttendanceIn) -> Any:
    viewer = viewer_of(request)
    e = services.enrolment_attendance(
        viewer=viewer,
        enrolment_id=enrolment_id,
        sessions=payload.sessions_attended,
        completed=payload.completed,
    )
    return _enrolment(e)


class StoreToInviteOut(Schema):
    id: int
    name: str
    town: str
    incidents: int = Field(description="Incidents in the last year")


@router.get(
    "/insights/assessments/not-taking-part",
    response={200: list[StoreToInviteOut], **ERRORS},
    summary="Stores with repeated incidents not yet taking part",
)
def not_taking_part(request: HttpRequest) -> Any:
    """Stores of the caller's partnerships with three or more incidents in the last year that have neither
    completed a self-assessment nor enrolled in a programme. Partnership managers; 404 for others."""
    viewer = viewer_of(request)
    return [
        {"id": s.pk, "name": s.name, "town": s.town, "incidents": s.recent}  # type: ignore[attr-defined]
        for s in selectors.repeat_victims_not_taking_part(viewer=viewer)
    ]

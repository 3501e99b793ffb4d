"""Self-assessments through the API: the question sets, completing one, and uptake for PCC offices and
partnerships."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from shopwatch.core.api import Id, ProblemOut, StrictId, viewer_of

from . import selectors, services
from .models import Assessment, QuestionSet

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
    return 201, _assessment(a)


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

"""Writes of prevention self-assessments: installing question sets from their data files, and completing
an assessment (scored, with next steps and a certificate number), audited in the same transaction."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, NotEntitled, ValidationFailed
from shopwatch.core.models import AuditAction, Store

from .models import Assessment, QuestionSet
from .scoring import check_answers, score

QUESTION_SETS = Path(__file__).resolve().parent / "questionsets"


def question_set_files() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(QUESTION_SETS.glob("*.json"))]


@transaction.atomic
def question_sets_install() -> int:
    """Create any question set version not yet stored (idempotent); the newest version of each is current."""
    created = 0
    for data in question_set_files():
        _, made = QuestionSet.objects.get_or_create(
            slug=data["slug"],
            version=data["version"],
            defaults={
                "title": data["title"],
                "summary": data.get("summary", ""),
                "source": data.get("source", ""),
                "questions": data["questions"],
                "areas": data["areas"],
            },
        )
        created += made
    for slug in set(QuestionSet.objects.values_list("slug", flat=True)):
        newest = QuestionSet.objects.filter(slug=slug).order_by("-version").first()
        assert newest is not None
        QuestionSet.objects.filter(slug=slug).exclude(pk=newest.pk).update(current=False)
        QuestionSet.objects.filter(pk=newest.pk).update(current=True)
    return created


@transaction.atomic
def assessment_submit(
    *, viewer: Viewer, question_set_id: int, store_id: int, answers: dict[str, str]
) -> Assessment:
    """Score a completed self-assessment for a store the viewer reports for."""
    if not viewer.can_report_for(store_id):
        raise NotEntitled(
            [FieldError("store", "You can complete an assessment only for a store you work for.")]
        )
    store = Store.objects.get(pk=store_id)
    qs = QuestionSet.objects.filter(pk=question_set_id, current=True).first()
    if qs is None:
        raise ValidationFailed([FieldError("question_set", "Not a current self-assessment.")])
    errors = check_answers(qs.questions, answers)
    if errors:
        raise ValidationFailed(errors)
    scored = score(qs.questions, qs.areas, answers)
    now = timezone.now()
    assessment = Assessment.objects.create(
        question_set=qs,
        organisation_id=store.retailer_id,
        store=store,
        completed_by_id=viewer.user_id,
        answers={q["id"]: answers[q["id"]] for q in qs.questions},
        score=scored.score,
        area_scores=scored.area_scores,
        next_steps=scored.next_steps,
        certificate_number=f"SW-{qs.slug[:3].upper()}-{now:%Y%m%d}-{secrets.token_hex(3).upper()}",
        completed_at=now,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="assessment",
        object_id=assessment.pk,
        store_id=store.pk,
        summary=f"Completed {qs.title} ({scored.score}%)",
    )
    return assessment

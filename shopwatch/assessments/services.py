"""Writes of prevention self-assessments and programmes: installing question sets from their data files,
completing an assessment (scored, with next steps and a certificate number), enrolment, attendance and
completion; each audited in the same transaction."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import REFUSALS, Action, can, require
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import Conflict, FieldError, NotEntitled, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Organisation, OrganisationKind, Store

from .models import Assessment, Enrolment, EnrolmentStatus, Programme, QuestionSet
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
    require(viewer, Action.TAKE_UP_PREVENTION, Store(pk=store_id))  # judged by the store's id alone
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


@dataclass(frozen=True)
class Enrolling:
    """The record ``enrol_in_programme`` is judged on: the store to enrol and the programme's partnership."""

    store_id: int
    partnership_id: int


def _programme_manager(viewer: Viewer, programme: Programme) -> None:
    require(viewer, Action.RUN_PROGRAMME, programme)


@transaction.atomic
def enrolment_create(*, viewer: Viewer, programme_id: int, store_id: int) -> Enrolment:
    """Enrol a store's business in a programme: the store's own staff or the programme's partnership
    managers, while places remain and the store is in the programme's partnership."""
    programme = Programme.objects.select_for_update().filter(pk=programme_id).first()
    if programme is None:
        raise ValidationFailed([FieldError("programme", "No such programme.")])
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        raise ValidationFailed([FieldError("store", "No such store.")])
    require(
        viewer,
        Action.ENROL_IN_PROGRAMME,
        Enrolling(store_id=store.pk, partnership_id=programme.partnership_id),
    )
    errors: list[FieldError] = []
    if not store.partnerships.filter(pk=programme.partnership_id).exists():
        errors.append(FieldError("store", "The store is not in the programme's partnership."))
    taken = programme.enrolments.exclude(status=EnrolmentStatus.WITHDRAWN).count()
    if taken >= programme.places:
        errors.append(FieldError("programme", f"All {programme.places} places are taken."))
    if programme.enrolments.filter(store=store).exists():
        raise Conflict([FieldError("store", "This store is already enrolled.")])
    if errors:
        raise ValidationFailed(errors)
    enrolment = Enrolment.objects.create(programme=programme, organisation_id=store.retailer_id, store=store)
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="enrolment",
        object_id=enrolment.pk,
        store_id=store.pk,
        partnership_id=programme.partnership_id,
        summary=f"Enrolled in {programme.title}",
    )
    return enrolment


@transaction.atomic
def enrolment_attendance(*, viewer: Viewer, enrolment_id: int, sessions: int, completed: bool) -> Enrolment:
    """Record sessions attended and completion (the programme's partnership managers)."""
    enrolment = Enrolment.objects.select_related("programme").filter(pk=enrolment_id).first()
    if enrolment is None:
        raise ValidationFailed([FieldError("enrolment", "No such enrolment.")])
    _programme_manager(viewer, enrolment.programme)
    if not 0 <= sessions <= 100:
        raise ValidationFailed([FieldError("sessions", "Between 0 and 100.")])
    enrolment.sessions_attended = sessions
    if completed:
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_on = enrolment.completed_on or timezone.localdate()
    elif sessions:
        enrolment.status = EnrolmentStatus.ATTENDING
    enrolment.save(update_fields=["sessions_attended", "status", "completed_on"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="enrolment",
        object_id=enrolment.pk,
        store_id=enrolment.store_id,
        partnership_id=enrolment.programme.partnership_id,
        summary=f"Attendance {sessions}{', completed' if completed else ''}",
    )
    return enrolment


PROGRAMME_KINDS = (
    ("cyber membership", "Cyber-resilience membership"),
    ("training", "Training sessions"),
    ("marking kits", "Forensic marking kits"),
    ("security review", "Security review"),
)


def programme_partnerships(viewer: Viewer) -> list[Organisation]:
    """The partnerships the viewer may set up a programme for (the table's ``set_up_programme``)."""
    if not can(viewer, Action.SET_UP_PROGRAMME):
        return []
    partnerships = Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP).order_by("name", "id")
    return [p for p in partnerships if can(viewer, Action.SET_UP_PROGRAMME, p)]


def programme_funders(viewer: Viewer) -> list[Organisation]:
    """Who may be named as funder: the PCC offices of those partnerships' forces, and the partnerships."""
    partnerships = programme_partnerships(viewer)
    forces = {p.force_id for p in partnerships if p.force_id is not None}
    offices = Organisation.objects.filter(kind=OrganisationKind.PCC_OFFICE, force_id__in=forces)
    return [*offices.order_by("name", "id"), *partnerships]


@transaction.atomic
def programme_create(
    *,
    viewer: Viewer,
    title: str,
    kind: str,
    funder_id: int,
    partnership_id: int,
    places: int,
    eligibility: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    funding_note: str = "",
    question_set_slug: str = "",
) -> Programme:
    """A funded prevention programme, set up by a manager of its partnership or the PCC office of the
    partnership's force area."""
    partnership = Organisation.objects.filter(pk=partnership_id, kind=OrganisationKind.PARTNERSHIP).first()
    if partnership is None:  # an unknown partnership reads as one the viewer may not set up for
        field, message = REFUSALS[Action.SET_UP_PROGRAMME]
        raise NotEntitled([FieldError(field, message)])
    require(viewer, Action.SET_UP_PROGRAMME, partnership)
    errors: list[FieldError] = []
    title = clean_text("title", title, 200, errors)
    if kind not in dict(PROGRAMME_KINDS):
        errors.append(FieldError("kind", f"One of {', '.join(dict(PROGRAMME_KINDS))}."))
    if funder_id not in {f.pk for f in programme_funders(viewer)}:
        errors.append(FieldError("funder", "A PCC office or partnership of the programme's area."))
    funding_note = clean_text("funding_note", funding_note, 300, errors, required=False)
    eligibility = clean_text("eligibility", eligibility, 500, errors)
    if not 1 <= places <= 10_000:
        errors.append(FieldError("places", "Between 1 and 10,000."))
    if ends_on is not None and ends_on < starts_on:
        errors.append(FieldError("ends_on", "Must not be before the start."))
    if question_set_slug and not QuestionSet.objects.filter(slug=question_set_slug).exists():
        errors.append(FieldError("question_set_slug", "No such self-assessment."))
    if errors:
        raise ValidationFailed(errors)
    programme = Programme.objects.create(
        title=title,
        kind=kind,
        funder_id=funder_id,
        funding_note=funding_note,
        partnership=partnership,
        places=places,
        eligibility=eligibility,
        question_set_slug=question_set_slug,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="programme",
        object_id=programme.pk,
        partnership_id=partnership.pk,
        summary=f"Set up programme {title}",
    )
    return programme

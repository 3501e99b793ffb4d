"""Writes for insights: prevention measures, surveys and accountability questions."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, NotEntitled, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Membership, Organisation, OrganisationKind, Role, Store, User

from .models import (
    AccountabilityQuestion,
    Answer,
    PreventionMeasure,
    Question,
    QuestionKind,
    Survey,
    SurveyInvitation,
)

MAX_QUESTIONS = 20


@transaction.atomic
def prevention_record(
    *, viewer: Viewer, store: Store, started_on: dt.date, description: str
) -> PreventionMeasure:
    """Record prevention work at a store (store managers, the retailer's security team, partnership
    managers)."""
    errors: list[FieldError] = []
    description = clean_text("description", description, 300, errors)
    if not viewer.can_report_for(store.pk):
        raise NotEntitled([FieldError("store", "You may not record prevention work for this store.")])
    if started_on > timezone.localdate():
        errors.append(FieldError("started_on", "Must not be in the future."))
    if errors:
        raise ValidationFailed(errors)
    measure = PreventionMeasure.objects.create(
        store=store, started_on=started_on, description=description, recorded_by_id=viewer.user_id
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="prevention_measure",
        object_id=measure.pk,
        store_id=store.pk,
        summary=description[:100],
    )
    return measure


@dataclass
class QuestionInput:
    text: str
    kind: str
    choices: list[str]
    required: bool = True


def survey_owner_orgs(viewer: Viewer) -> list[Organisation]:
    """Organisations the viewer may run surveys for: their PCC office, the partnerships they manage."""
    ids = set(viewer.managed_partnership_ids)
    if viewer.has_role(Role.PCC_SCRUTINY) and viewer.user_id is not None:
        ids |= set(
            Membership.objects.filter(
                user_id=viewer.user_id, role=Role.PCC_SCRUTINY, active=True
            ).values_list("organisation_id", flat=True)
        )
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


@transaction.atomic
def survey_create(
    *,
    viewer: Viewer,
    owner: Organisation,
    title: str,
    introduction: str,
    questions: list[QuestionInput],
    closes_at: dt.datetime | None = None,
) -> Survey:
    if owner.pk not in {o.pk for o in survey_owner_orgs(viewer)}:
        raise NotEntitled([FieldError("owner", "You may not run surveys for this organisation.")])
    errors: list[FieldError] = []
    title = clean_text("title", title, 200, errors)
    introduction = clean_text("introduction", introduction, 2000, errors, required=False)
    if not questions:
        errors.append(FieldError("questions", "Add at least one question."))
    if len(questions) > MAX_QUESTIONS:
        errors.append(FieldError("questions", f"At most {MAX_QUESTIONS} questions."))
    for i, q in enumerate(questions):
        q.text = clean_text(f"questions[{i}].text", q.text, 300, errors)
        if q.kind not in QuestionKind.values:
            errors.append(
                FieldError(f"questions[{i}].kind", f"Must be one of {', '.join(QuestionKind.values)}.")
            )
        q.choices = [c.strip()[:200] for c in q.choices if c.strip()]
        if q.kind == QuestionKind.CHOICE and len(q.choices) < 2:
            errors.append(FieldError(f"questions[{i}].choices", "Give at least two choices."))
    if closes_at is not None and closes_at <= timezone.now():
        errors.append(FieldError("closes_at", "Must be in the future."))
    if errors:
        raise ValidationFailed(errors)
    survey = Survey.objects.create(
        owner_org=owner,
        title=title,
        introduction=introduction,
        created_by_id=viewer.user_id,
        closes_at=closes_at,
    )
    Question.objects.bulk_create(
        [
            Question(
                survey=survey,
                position=i + 1,
                text=q.text,
                kind=q.kind,
                choices=q.choices if q.kind == QuestionKind.CHOICE else [],
                required=q.required,
            )
            for i, q in enumerate(questions)
        ]
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="survey",
        object_id=survey.pk,
        summary=title[:100],
    )
    return survey


def survey_audience(owner: Organisation) -> list[User]:
    """Who a survey goes to: a partnership's members, or everyone reporting in a PCC's force area."""
    if owner.kind == OrganisationKind.PARTNERSHIP:
        stores = Store.partnerships.through.objects.filter(organisation_id=owner.pk).values("store_id")
        q = (
            Q(organisation=owner)
            | Q(store__in=stores)
            | Q(
                organisation__in=owner.member_links.values("organisation_id"),
                role=Role.RETAIL_SECURITY_MANAGER,
            )
        )
    elif owner.kind == OrganisationKind.PCC_OFFICE and owner.force_id:
        force_stores = Store.objects.filter(force_id=owner.force_id).values("pk")
        partnerships = Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP, force_id=owner.force_id)
        q = (
            Q(store__in=force_stores)
            | Q(organisation__in=partnerships, role=Role.PARTNERSHIP_MANAGER)
            | Q(
                organisation__in=Store.objects.filter(force_id=owner.force_id).values("retailer_id"),
                role=Role.RETAIL_SECURITY_MANAGER,
            )
        )
    else:
        return []
    ids = Membership.objects.filter(q, active=True, user__is_active=True).values("user_id")
    return list(User.objects.filter(pk__in=ids).order_by("email"))


@transaction.atomic
def survey_send(*, viewer: Viewer, survey: Survey) -> int:
    """Open the survey and invite its audience; sending again invites only newcomers."""
    if survey.owner_org_id not in {o.pk for o in survey_owner_orgs(viewer)}:
        raise NotEntitled([FieldError("survey", "You may not send this survey.")])
    users = survey_audience(survey.owner_org)
    existing = set(SurveyInvitation.objects.filter(survey=survey).values_list("user_id", flat=True))
    new = [SurveyInvitation(survey=survey, user=u) for u in users if u.pk not in existing]
    SurveyInvitation.objects.bulk_create(new)
    if survey.opened_at is None:
        survey.opened_at = timezone.now()
        survey.save(update_fields=["opened_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="survey",
        object_id=survey.pk,
        summary=f"Sent to {len(new)} members",
    )
    return len(new)


@transaction.atomic
def survey_answer(*, viewer: Viewer, survey: Survey, answers: dict[int, str]) -> None:
    """Record one member's answers, once. Answers are kept apart from who gave them."""
    invitation = (
        None
        if viewer.user_id is None
        else SurveyInvitation.objects.select_for_update()
        .filter(survey=survey, user_id=viewer.user_id)
        .first()
    )
    if invitation is None:
        raise NotEntitled([FieldError("survey", "This survey was not sent to you.")])
    if invitation.answered_at is not None:
        raise ValidationFailed([FieldError("survey", "You have already answered this survey. Thank you.")])
    if not survey.is_open:
        raise ValidationFailed([FieldError("survey", "This survey is closed.")])
    errors: list[FieldError] = []
    rows: list[Answer] = []
    response_id = secrets.token_hex(8)
    for q in survey.questions.all():
        raw = (answers.get(q.pk) or "").strip()
        name = f"q{q.pk}"
        if not raw:
            if q.required:
                errors.append(FieldError(name, "Please answer this question."))
            continue
        if "\x00" in raw:
            errors.append(FieldError(name, "Must not contain NUL characters."))
            continue
        if q.kind == QuestionKind.SCALE:
            if raw not in {"1", "2", "3", "4", "5"}:
                errors.append(FieldError(name, "Choose a number from 1 to 5."))
                continue
            rows.append(Answer(survey=survey, question=q, response_id=response_id, scale=int(raw)))
        elif q.kind == QuestionKind.CHOICE:
            if raw not in q.choices:
                errors.append(FieldError(name, "Choose one of the options."))
                continue
            rows.append(Answer(survey=survey, question=q, response_id=response_id, choice=raw))
        else:
            if len(raw) > 2000:
                errors.append(FieldError(name, "At most 2,000 characters."))
                continue
            rows.append(Answer(survey=survey, question=q, response_id=response_id, text=raw))
    if errors:
        raise ValidationFailed(errors)
    Answer.objects.bulk_create(rows)
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["answered_at"])


def pcc_office_for(viewer: Viewer) -> Organisation | None:
    if viewer.force_id is None:
        return None
    return Organisation.objects.filter(kind=OrganisationKind.PCC_OFFICE, force_id=viewer.force_id).first()


@transaction.atomic
def accountability_question_submit(*, viewer: Viewer, text: str) -> AccountabilityQuestion:
    """A member puts a question to their PCC's public accountability meeting."""
    errors: list[FieldError] = []
    text = clean_text("text", text, 2000, errors)
    office = pcc_office_for(viewer)
    if office is None:
        errors.append(FieldError("text", "There is no PCC office for your force area in ShopWatch yet."))
    if errors or office is None:
        raise ValidationFailed(errors)
    q = AccountabilityQuestion.objects.create(
        pcc_office=office, submitted_by_id=viewer.user_id, organisation_id=viewer.primary_org_id, text=text
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="accountability_question",
        object_id=q.pk,
        summary=text[:100],
    )
    return q


@transaction.atomic
def accountability_question_update(
    *, viewer: Viewer, question: AccountabilityQuestion, status: str, answer: str = ""
) -> AccountabilityQuestion:
    if question.pcc_office_id not in {o.pk for o in survey_owner_orgs(viewer)}:
        raise NotEntitled([FieldError("question", "Only the PCC office can update this question.")])
    errors: list[FieldError] = []
    answer = clean_text("answer", answer, 4000, errors, required=status == "answered")
    if status not in {"submitted", "selected", "answered", "declined"}:
        errors.append(FieldError("status", "Unknown status."))
    if errors:
        raise ValidationFailed(errors)
    question.status = status
    question.answer = answer
    question.save(update_fields=["status", "answer"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="accountability_question",
        object_id=question.pk,
        summary=f"Status {status}",
    )
    return question

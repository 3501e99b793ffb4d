"""Graded intelligence (3x5x2): submitted with source protection, graded by a partnership manager or the
force."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can, require
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.errors import FieldError, NotEntitled, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Distribution, Organisation
from shopwatch.reporting.models import Incident
from shopwatch.subjects.registrations import RegistrationError, normalise_registration

from ..identified import IdentificationConfirmed, identification_confirmed
from ..models import (
    HandlingCode,
    IntelligenceReport,
    IntelStatus,
    SubjectKind,
)
from .common import _visible_person


def may_grade(viewer: Viewer, partnership: Organisation) -> bool:
    """Partnership managers grade their partnership's intelligence; police grade in their force area."""
    return can(viewer, Action.GRADE_INTELLIGENCE, partnership)


@transaction.atomic
def intelligence_submit(
    *,
    viewer: Viewer,
    partnership: Organisation,
    kind: str,
    text: str,
    source_details: str = "",
    person_id: int | None = None,
    suggested_person_id: int | None = None,
    registration: str = "",
    place: str = "",
    incident_id: int | None = None,
) -> IntelligenceReport:
    """A member submits intelligence (or suggests who an unidentified person is) for grading."""
    from shopwatch.subjects.models import Vehicle

    require(viewer, Action.SUBMIT_INTELLIGENCE, partnership)
    errors: list[FieldError] = []
    text = clean_text("text", text, 4000, errors)
    source_details = clean_text("source_details", source_details, 2000, errors, required=False)
    place = clean_text("place", place, 300, errors, required=kind == SubjectKind.PLACE)
    if kind not in SubjectKind.values:
        errors.append(FieldError("kind", f"One of: {', '.join(SubjectKind.values)}."))
    person = suggested = vehicle = incident = None
    try:
        if kind in (SubjectKind.PERSON, SubjectKind.IDENTIFICATION) or person_id:
            person = _visible_person(viewer, person_id, "person")
        if kind == SubjectKind.IDENTIFICATION:
            suggested = (
                _visible_person(viewer, suggested_person_id, "suggested_person")
                if suggested_person_id
                else None
            )
            if suggested is None and not text:
                errors.append(FieldError("suggested_person", "Say who you think this is."))
    except ValidationFailed as exc:
        errors += exc.errors
    if kind == SubjectKind.VEHICLE or registration:
        try:
            reg = normalise_registration(registration)
            vehicle, _ = Vehicle.objects.get_or_create(registration=reg)
        except RegistrationError as exc:
            errors.append(FieldError("registration", str(exc)))
    if incident_id is not None or kind == SubjectKind.EVENT:
        incident = (
            scope(Incident.objects.all(), viewer).filter(pk=incident_id).first() if incident_id else None
        )
        if incident is None and incident_id is not None:
            errors.append(FieldError("incident", "Unknown incident, or not one shared with you."))
    if errors:
        raise ValidationFailed(errors)
    report = IntelligenceReport.objects.create(
        partnership=partnership,
        owner_org=partnership,
        kind=kind,
        person=person,
        suggested_person=suggested,
        vehicle=vehicle,
        incident=incident,
        place=place,
        text=text,
        source_details=source_details,
        submitted_by_id=viewer.user_id,
        distribution=Distribution.ORGANISATION,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="intelligence",
        object_id=report.pk,
        partnership_id=partnership.pk,
        summary=f"{kind} intelligence submitted",
    )
    if kind == SubjectKind.IDENTIFICATION:
        from .. import tasks

        # The partnership's managers are told there is a suggestion to check (email, retried; it is also
        # on their grading page).
        transaction.on_commit(partial(tasks.notify_identification.enqueue, report.pk))
    return report


@transaction.atomic
def identification_confirm(
    *, viewer: Viewer, report: IntelligenceReport, reason: str, person_id: int | None = None
) -> IntelligenceReport:
    """Confirm a help-identify suggestion against the person it names: recorded with who and why, audited,
    and handed to the apps that act on it in the same transaction (linking proposes a link of the two
    records for an investigator or analyst to decide; nothing is merged here)."""
    if not may_grade(viewer, report.partnership):
        raise NotEntitled(
            [FieldError("report", "Only the partnership's managers or local police may confirm this.")]
        )
    errors: list[FieldError] = []
    reason = clean_text("confirmation_reason", reason, 1000, errors)
    if person_id is not None and person_id != report.suggested_person_id:
        # The grader names the person the suggestion describes (it may have given a name only in words).
        try:
            report.suggested_person = _visible_person(viewer, person_id, "suggested_person")
        except ValidationFailed as exc:
            errors += exc.errors
    if report.kind != SubjectKind.IDENTIFICATION or report.person_id is None:
        errors.append(FieldError("report", "Only a help-identify suggestion can be confirmed."))
    elif report.suggested_person_id is None:
        errors.append(FieldError("report", "The suggestion names no known person to confirm it against."))
    elif report.confirmed_at is not None:
        errors.append(FieldError("report", "This suggestion has already been confirmed."))
    elif report.suggested_person_id == report.person_id:
        errors.append(FieldError("suggested_person", "Name a different record from the one to identify."))
    if errors:
        raise ValidationFailed(errors)
    assert report.person_id is not None
    assert report.suggested_person_id is not None
    report.confirmed_by_id, report.confirmed_at = viewer.user_id, timezone.now()
    report.confirmation_reason = reason
    report.save(update_fields=["suggested_person", "confirmed_by", "confirmed_at", "confirmation_reason"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="intelligence",
        object_id=report.pk,
        partnership_id=report.partnership_id,
        summary="Help-identify suggestion confirmed",
        detail={"persons": [report.person_id, report.suggested_person_id], "reason": reason},
    )
    identification_confirmed.run(
        IdentificationConfirmed(
            viewer=viewer,
            report_id=report.pk,
            person_id=report.person_id,
            suggested_person_id=report.suggested_person_id,
            reason=reason,
        )
    )
    return report


def _identifies_source(sanitised: str, source: str) -> bool:
    """Whether the text to be shared repeats what identifies the source: a name (two capitalised words in a
    row), or any four words in a row, from the source details."""
    import re

    low = " ".join(re.findall(r"[\w']+", sanitised.lower()))
    words = re.findall(r"[\w']+", source)
    for i in range(len(words) - 1):
        pair = words[i : i + 2]
        if all(w[:1].isupper() for w in pair) and " ".join(pair).lower() in low:
            return True
    return any(" ".join(words[i : i + 4]).lower() in low for i in range(len(words) - 3))


@transaction.atomic
def intelligence_grade(
    *,
    viewer: Viewer,
    report: IntelligenceReport,
    source_evaluation: str,
    assessment: str,
    handling_code: str,
    sanitised_text: str,
    handling_conditions: str = "",
    share_with: str = Distribution.PARTNERSHIP,
) -> IntelligenceReport:
    """Grade 3x5x2 and decide how far the sanitised intelligence goes. Handling code C needs conditions and
    keeps it with the partnership's managers and police: it cannot be shared onward."""
    from ..models import Assessment, SourceEvaluation

    if not may_grade(viewer, report.partnership):
        raise NotEntitled(
            [FieldError("report", "Only the partnership's managers or local police may grade this.")]
        )
    errors: list[FieldError] = []
    if report.status != IntelStatus.SUBMITTED:
        errors.append(FieldError("report", "This intelligence has already been graded."))
    if source_evaluation not in SourceEvaluation.values:
        errors.append(FieldError("source_evaluation", "1 reliable, 2 untested or 3 not reliable."))
    if assessment not in Assessment.values:
        errors.append(FieldError("assessment", "A, B, C, D or E."))
    if handling_code not in HandlingCode.values:
        errors.append(FieldError("handling_code", "P or C."))
    sanitised_text = clean_text("sanitised_text", sanitised_text, 4000, errors)
    handling_conditions = clean_text(
        "handling_conditions", handling_conditions, 1000, errors, required=handling_code == HandlingCode.C
    )
    if sanitised_text and report.source_details and _identifies_source(sanitised_text, report.source_details):
        errors.append(FieldError("sanitised_text", "The shared text still identifies the source; remove it."))
    if share_with not in (
        Distribution.ORGANISATION,
        Distribution.PARTNERSHIP,
        Distribution.CONNECTED,
        Distribution.POLICE,
    ):
        errors.append(
            FieldError("share_with", "Share with the partnership, connected partnerships or police.")
        )
    if errors:
        raise ValidationFailed(errors)
    report.source_evaluation, report.assessment, report.handling_code = (
        source_evaluation,
        assessment,
        handling_code,
    )
    report.handling_conditions, report.sanitised_text = handling_conditions, sanitised_text
    report.status, report.graded_by_id, report.graded_at = IntelStatus.GRADED, viewer.user_id, timezone.now()
    report.distribution = Distribution.ORGANISATION if handling_code == HandlingCode.C else share_with
    report.save(
        update_fields=[
            "source_evaluation",
            "assessment",
            "handling_code",
            "handling_conditions",
            "sanitised_text",
            "status",
            "graded_by",
            "graded_at",
            "distribution",
        ]
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="intelligence",
        object_id=report.pk,
        partnership_id=report.partnership_id,
        summary=f"Graded {report.grading}",
    )
    return report

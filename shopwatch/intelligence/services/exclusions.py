"""Warning letters and exclusion notices: issued, reviewed, appealed and decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.errors import FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Organisation, Store
from shopwatch.reporting.models import Incident, IncidentOffender

from ..models import (
    Appeal,
    AppealDecision,
    ExclusionNotice,
    ExclusionStatus,
    ServedHow,
    WarningLetter,
)
from .common import _require_manager, _visible_person, settings_for


@dataclass
class Service:
    how: str
    at: dt.datetime
    by: str


def _service_errors(service: Service, errors: list[FieldError]) -> None:
    if service.how not in ServedHow.values:
        errors.append(FieldError("served_how", "Say how it was served: in person, by post or by email."))
    if service.at is None or service.at > timezone.now() + dt.timedelta(minutes=5):
        errors.append(FieldError("served_at", "Say when it was served (not in the future)."))
    clean_text("served_by", service.by, 200, errors)


def _incidents(viewer: Viewer, ids: Iterable[int], field: str, errors: list[FieldError]) -> list[Incident]:
    ids = list(ids)
    found = list(scope(Incident.objects.filter(pk__in=ids), viewer))
    if len(found) != len(set(ids)):
        errors.append(FieldError(field, "One of the incidents is unknown or not shared with you."))
    return found


@transaction.atomic
def warning_issue(
    *,
    viewer: Viewer,
    partnership: Organisation,
    person_id: int,
    reason: str,
    incident_ids: Iterable[int],
    service: Service,
) -> WarningLetter:
    _require_manager(viewer, partnership)
    errors: list[FieldError] = []
    person = _visible_person(viewer, person_id, "person")
    reason = clean_text("reason", reason, 2000, errors)
    incidents = _incidents(viewer, incident_ids, "incidents", errors)
    _service_errors(service, errors)
    if errors:
        raise ValidationFailed(errors)
    letter = WarningLetter.objects.create(
        partnership=partnership,
        person=person,
        reason=reason,
        issued_by_id=viewer.user_id,
        served_how=service.how,
        served_at=service.at,
        served_by=service.by.strip(),
    )
    letter.incidents.set(incidents)
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="warning_letter",
        object_id=letter.pk,
        partnership_id=partnership.pk,
        summary=f"Warning to person {person.pk}",
    )
    return letter


@transaction.atomic
def exclusion_issue(
    *,
    viewer: Viewer,
    partnership: Organisation,
    person_id: int,
    all_premises: bool,
    store_ids: Iterable[int],
    starts_on: dt.date,
    ends_on: dt.date | None,
    conditions: str,
    service: Service,
    evidence_ids: Iterable[int],
    warning_id: int | None = None,
) -> ExclusionNotice:
    """Exclude a person from member premises (12 months by default), with everything a court will ask."""
    _require_manager(viewer, partnership)
    errors: list[FieldError] = []
    person = _visible_person(viewer, person_id, "person")
    conf = settings_for(partnership)
    if starts_on is None:
        errors.append(FieldError("starts_on", "Required."))
        starts_on = timezone.localdate()
    ends_on = ends_on or starts_on + relativedelta(months=conf.exclusion_months) - dt.timedelta(days=1)
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", "The exclusion must end after it starts."))
    elif ends_on > starts_on + relativedelta(years=2):
        errors.append(FieldError("ends_on", "An exclusion may last at most two years."))
    conditions = clean_text("conditions", conditions, 2000, errors, required=False)
    member_stores = set(
        Store.partnerships.through.objects.filter(organisation_id=partnership.pk).values_list(
            "store_id", flat=True
        )
    )
    store_ids = set(store_ids)
    if not all_premises:
        if not store_ids:
            errors.append(FieldError("stores", "Choose the premises covered, or all member premises."))
        outside = store_ids - member_stores
        if outside:
            errors.append(FieldError("stores", "Some premises are not members of this partnership."))
    evidence = _incidents(viewer, evidence_ids, "evidence", errors)
    if not evidence:
        errors.append(FieldError("evidence", "Name the incidents the exclusion relies on."))
    _service_errors(service, errors)
    warning = None
    if warning_id is not None:
        warning = WarningLetter.objects.filter(pk=warning_id, person=person, partnership=partnership).first()
        if warning is None:
            errors.append(FieldError("warning", "Unknown warning letter for this person."))
    if errors:
        raise ValidationFailed(errors)
    notice = ExclusionNotice.objects.create(
        partnership=partnership,
        person=person,
        all_premises=all_premises,
        starts_on=starts_on,
        ends_on=ends_on,
        conditions=conditions,
        served_how=service.how,
        served_at=service.at,
        served_by=service.by.strip(),
        warning=warning,
        issued_by_id=viewer.user_id,
    )
    if not all_premises:
        notice.stores.set(store_ids)
    notice.evidence.set(evidence)
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="exclusion",
        object_id=notice.pk,
        partnership_id=partnership.pk,
        summary=f"Exclusion of person {person.pk} to {ends_on}",
    )
    return notice


def exclusion_review_date(notice: ExclusionNotice) -> dt.date:
    """When the person may ask for a review: after 6 incident-free months (from the start or the last
    incident)."""
    conf = settings_for(notice.partnership)
    last = (
        IncidentOffender.objects.filter(
            person_id=notice.person_id, incident__occurred_at__date__gte=notice.starts_on
        )
        .order_by("-incident__occurred_at")
        .values_list("incident__occurred_at", flat=True)
        .first()
    )
    since = max(notice.starts_on, timezone.localtime(last).date()) if last else notice.starts_on
    return since + relativedelta(months=conf.review_after_months)


@transaction.atomic
def appeal_lodge(*, viewer: Viewer, notice: ExclusionNotice, grounds: str) -> Appeal:
    _require_manager(viewer, notice.partnership)
    errors: list[FieldError] = []
    grounds = clean_text("grounds", grounds, 2000, errors)
    if errors:
        raise ValidationFailed(errors)
    appeal = Appeal.objects.create(exclusion=notice, grounds=grounds)
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="appeal",
        object_id=appeal.pk,
        partnership_id=notice.partnership_id,
        summary=f"Appeal against exclusion {notice.pk}",
    )
    return appeal


@transaction.atomic
def appeal_decide(
    *, viewer: Viewer, appeal: Appeal, decision: str, reason: str, new_ends_on: dt.date | None = None
) -> Appeal:
    notice = appeal.exclusion
    _require_manager(viewer, notice.partnership)
    errors: list[FieldError] = []
    reason = clean_text("decision_reason", reason, 2000, errors)
    if decision not in (AppealDecision.UPHELD, AppealDecision.VARIED, AppealDecision.OVERTURNED):
        errors.append(FieldError("decision", "Upheld, varied or overturned."))
    if decision == AppealDecision.VARIED and (new_ends_on is None or new_ends_on < notice.starts_on):
        errors.append(FieldError("new_ends_on", "Give the new end date, after the start."))
    if appeal.decision != AppealDecision.PENDING:
        errors.append(FieldError("decision", "This appeal was already decided."))
    if errors:
        raise ValidationFailed(errors)
    appeal.decision, appeal.decision_reason = decision, reason
    appeal.decided_by_id, appeal.decided_at = viewer.user_id, timezone.now()
    appeal.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    if decision == AppealDecision.OVERTURNED:
        notice.status = ExclusionStatus.REVOKED
        notice.save(update_fields=["status"])
    elif decision == AppealDecision.VARIED and new_ends_on is not None:
        notice.ends_on = new_ends_on
        notice.save(update_fields=["ends_on"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="appeal",
        object_id=appeal.pk,
        partnership_id=notice.partnership_id,
        summary=f"Appeal {decision}",
    )
    return appeal

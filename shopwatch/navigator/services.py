"""Writes of navigator casework. Only navigators of the case's organisation make them (others get the
same 404 as for a missing case); nothing beyond the referral is recorded before the person consents."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, get_visible
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Distribution, Organisation, OrganisationKind, User
from shopwatch.reporting.models import Incident
from shopwatch.reporting.selectors import incidents_naming_person
from shopwatch.subjects.models import Person

from . import selectors
from .models import (
    CaseContact,
    CaseGoal,
    CaseNeed,
    CaseStatus,
    Consent,
    ContactKind,
    NavigatorCase,
    NavigatorSettings,
    NeedArea,
    OnwardReferral,
    ReferralOutcome,
    ReferralSource,
)


def _audit(viewer: Viewer, case: NavigatorCase, action: str, summary: str, **detail: object) -> None:
    audit_record(
        viewer=viewer,
        action=action,
        object_type="navigator_case",
        object_id=case.pk,
        organisation_id=case.organisation_id,
        summary=summary,
        detail=dict(detail),
    )


def _not_future(name: str, day: dt.date, errors: list[FieldError]) -> None:
    if day > timezone.localdate():
        errors.append(FieldError(name, "Must not be in the future."))


def _case_to_work(viewer: Viewer, case_id: int) -> NavigatorCase:
    """The case, if the viewer sees it (404 otherwise) and may work on it (the capability table)."""
    case = selectors.case_get(viewer=viewer, case_id=case_id, audit=False)
    require(viewer, Action.WORK_CASE, case)
    return case


def _consented(case: NavigatorCase) -> None:
    if not selectors.details_visible(case):
        raise Conflict(
            [FieldError("consent", "Record the person's consent before anything beyond the referral.")]
        )


def _open(case: NavigatorCase) -> None:
    if case.status == CaseStatus.CLOSED:
        raise Conflict([FieldError("status", "This case is closed.")])


@transaction.atomic
def case_refer(
    *,
    viewer: Viewer,
    organisation_id: int,
    person_id: int,
    force_id: int,
    source: str,
    referred_by: str,
    reason: str,
    incident_ids: list[int] | None = None,
    referred_at: dt.date | None = None,
) -> NavigatorCase:
    """Record a referral of a person to a navigator organisation (a navigator records it)."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    # An unknown organisation is judged by its id alone (it has no navigators): refused.
    require(viewer, Action.REFER_TO_NAVIGATOR, organisation or Organisation(pk=organisation_id))
    errors: list[FieldError] = []
    if source not in ReferralSource.values:
        errors.append(FieldError("source", f"One of {', '.join(ReferralSource.values)}."))
    referred_by = clean_text("referred_by", referred_by, 200, errors)
    reason = clean_text("reason", reason, 2000, errors)
    referred_at = referred_at or timezone.localdate()
    _not_future("referred_at", referred_at, errors)
    if not Person.objects.filter(pk=person_id).exists():
        errors.append(FieldError("person", "No such person."))
    if not Organisation.objects.filter(pk=force_id, kind=OrganisationKind.POLICE_FORCE).exists():
        errors.append(FieldError("force", "Not a police force."))
    incidents = list(
        Incident.objects.filter(pk__in=incident_ids or [], offenders__person_id=person_id).distinct()
    )
    if len(incidents) != len(set(incident_ids or [])):
        errors.append(FieldError("incidents", "Each prompting incident must name the person referred."))
    if errors:
        raise ValidationFailed(errors)
    case = NavigatorCase.objects.create(
        organisation_id=organisation_id,
        force_id=force_id,
        person_id=person_id,
        source=source,
        referred_by=referred_by,
        reason=reason,
        referred_at=referred_at,
        navigator_id=viewer.user_id,
    )
    case.prompting_incidents.set(incidents)
    _audit(viewer, case, AuditAction.CREATE, "Recorded a referral", incidents=[i.pk for i in incidents])
    return case


def _open_referral_conflict(organisation_id: int, person_id: int) -> None:
    if NavigatorCase.objects.filter(
        organisation_id=organisation_id,
        person_id=person_id,
        status__in=(CaseStatus.REFERRED, CaseStatus.ACTIVE),
    ).exists():
        raise Conflict([FieldError("person", "This person already has an open referral to this programme.")])


@transaction.atomic
def case_refer_from_person(
    *,
    viewer: Viewer,
    person_id: int,
    organisation_id: int,
    reason: str,
    incident_ids: list[int] | None = None,
) -> NavigatorCase:
    """A police officer or a partnership manager refers a person they see to a diversion programme serving
    their force area, with the reason and the incidents (that they see, naming the person) that prompted it.
    The case goes to the programme's caseload unassigned; the referrer reads nothing of it afterwards."""
    person = get_visible(Person.objects.select_related("partnership"), viewer, pk=person_id)
    require(viewer, Action.REFER_FOR_DIVERSION, person)
    errors: list[FieldError] = []
    force_id = selectors.referrer_force_id(viewer, person)
    serving = {o.pk: o for o in selectors.navigator_orgs_serving(force_id)}
    if force_id is None:
        errors.append(FieldError("organisation", "No police force area to refer in."))
    elif organisation_id not in serving:
        errors.append(FieldError("organisation", "Choose a diversion programme serving your force area."))
    reason = clean_text("reason", reason, 2000, errors)
    seen = {i.pk: i for i in incidents_naming_person(viewer=viewer, person_id=person.pk, limit=500)}
    wanted = set(incident_ids or [])
    if wanted - set(seen):
        errors.append(
            FieldError("incidents", "Each prompting incident must be one of yours naming the person.")
        )
    if errors or force_id is None:
        raise ValidationFailed(errors)
    _open_referral_conflict(organisation_id, person.pk)
    if viewer.police_force_ids:
        source = ReferralSource.POLICE
        where = Organisation.objects.get(pk=force_id).name
    else:
        source = ReferralSource.PARTNERSHIP
        where = person.partnership.name if person.partnership else ""
    user = User.objects.get(pk=viewer.user_id or 0)
    case = NavigatorCase.objects.create(
        organisation_id=organisation_id,
        force_id=force_id,
        person_id=person.pk,
        source=source,
        referred_by=f"{user.full_name}, {where}"[:200],
        reason=reason,
        referred_at=timezone.localdate(),
    )
    incidents = [seen[i] for i in sorted(wanted)]
    case.prompting_incidents.set(incidents)
    _audit(
        viewer,
        case,
        AuditAction.CREATE,
        "Referred a person to a diversion programme",
        person=person.pk,
        incidents=[i.pk for i in incidents],
    )
    return case


@transaction.atomic
def case_refer_outreach(
    *,
    viewer: Viewer,
    organisation_id: int,
    force_id: int,
    given_name: str,
    family_name: str,
    reason: str,
    date_of_birth: dt.date | None = None,
) -> NavigatorCase:
    """A navigator records a person met through their own outreach: the person is created owned by the
    navigator organisation, shared with nobody (never seen by retailers, partnerships or police), with
    the referral."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    require(viewer, Action.REFER_TO_NAVIGATOR, organisation or Organisation(pk=organisation_id))
    errors: list[FieldError] = []
    given_name = clean_text("given_name", given_name, 100, errors)
    family_name = clean_text("family_name", family_name, 100, errors)
    reason = clean_text("reason", reason, 2000, errors)
    if date_of_birth is not None:
        _not_future("date_of_birth", date_of_birth, errors)
    if not Organisation.objects.filter(pk=force_id, kind=OrganisationKind.POLICE_FORCE).exists():
        errors.append(FieldError("force", "Not a police force."))
    if errors:
        raise ValidationFailed(errors)
    person = Person.objects.create(
        owner_org_id=organisation_id,
        partnership=None,
        distribution=Distribution.ORGANISATION,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="person",
        object_id=person.pk,
        organisation_id=organisation_id,
        summary="Recorded a person met through outreach",
        detail={},
    )
    case = NavigatorCase.objects.create(
        organisation_id=organisation_id,
        force_id=force_id,
        person=person,
        source=ReferralSource.OUTREACH,
        referred_by=f"{User.objects.get(pk=viewer.user_id or 0).full_name}, {organisation}"[:200],
        reason=reason,
        referred_at=timezone.localdate(),
        navigator_id=viewer.user_id,
    )
    _audit(viewer, case, AuditAction.CREATE, "Recorded an outreach referral", person=person.pk)
    return case


@transaction.atomic
def case_consent_record(*, viewer: Viewer, case_id: int, consent: str, on: dt.date) -> NavigatorCase:
    """Record the person's consent: given (the case opens), refused or withdrawn (the case closes)."""
    case = _case_to_work(viewer, case_id)
    errors: list[FieldError] = []
    if consent not in (Consent.GIVEN, Consent.REFUSED, Consent.WITHDRAWN):
        errors.append(FieldError("consent", "One of given, refused, withdrawn."))
    _not_future("on", on, errors)
    if on < case.referred_at:
        errors.append(FieldError("on", "Must not be before the referral."))
    if consent == Consent.WITHDRAWN and case.consent != Consent.GIVEN:
        errors.append(FieldError("consent", "Only consent that was given can be withdrawn."))
    if errors:
        raise ValidationFailed(errors)
    _open(case)
    case.consent = consent
    case.consent_at = on
    fields = ["consent", "consent_at", "status"]
    if consent == Consent.GIVEN:
        case.status = CaseStatus.ACTIVE
        if case.engaged_at is None:
            case.engaged_at = on
            fields.append("engaged_at")
    else:
        case.status = CaseStatus.CLOSED
        case.closed_at = on
        case.closure_reason = f"Consent {consent}"
        case.shared_with_police = False
        fields += ["closed_at", "closure_reason", "shared_with_police"]
    case.save(update_fields=fields)
    _audit(viewer, case, AuditAction.CHANGE, f"Consent {consent}", consent=consent, on=on.isoformat())
    return case


@transaction.atomic
def need_add(*, viewer: Viewer, case_id: int, area: str, detail: str = "") -> CaseNeed:
    case = _case_to_work(viewer, case_id)
    _consented(case)
    _open(case)
    errors: list[FieldError] = []
    if area not in NeedArea.values:
        errors.append(FieldError("area", f"One of {', '.join(NeedArea.values)}."))
    detail = clean_text("detail", detail, 2000, errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    need = CaseNeed.objects.create(case=case, area=area, detail=detail)
    _audit(viewer, case, AuditAction.CHANGE, "Recorded a need", need=need.pk)
    return need


@transaction.atomic
def contact_add(*, viewer: Viewer, case_id: int, kind: str, on: dt.date, note: str = "") -> CaseContact:
    case = _case_to_work(viewer, case_id)
    _consented(case)
    _open(case)
    errors: list[FieldError] = []
    if kind not in ContactKind.values:
        errors.append(FieldError("kind", f"One of {', '.join(ContactKind.values)}."))
    _not_future("on", on, errors)
    note = clean_text("note", note, 4000, errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    contact = CaseContact.objects.create(
        case=case, kind=kind, on=on, note=note, recorded_by_id=viewer.user_id
    )
    _audit(viewer, case, AuditAction.CHANGE, "Recorded a contact", contact=contact.pk)
    return contact


@transaction.atomic
def onward_referral_add(
    *,
    viewer: Viewer,
    case_id: int,
    service: str,
    area: str,
    on: dt.date,
    outcome: str = ReferralOutcome.PENDING,
) -> OnwardReferral:
    case = _case_to_work(viewer, case_id)
    _consented(case)
    _open(case)
    errors: list[FieldError] = []
    service = clean_text("service", service, 200, errors)
    if area not in NeedArea.values:
        errors.append(FieldError("area", f"One of {', '.join(NeedArea.values)}."))
    if outcome not in ReferralOutcome.values:
        errors.append(FieldError("outcome", f"One of {', '.join(ReferralOutcome.values)}."))
    _not_future("on", on, errors)
    if errors:
        raise ValidationFailed(errors)
    onward = OnwardReferral.objects.create(
        case=case, service=service, area=area, referred_on=on, outcome=outcome
    )
    _audit(viewer, case, AuditAction.CHANGE, "Referred on", onward=onward.pk)
    return onward


@transaction.atomic
def onward_referral_outcome(*, viewer: Viewer, referral_id: int, outcome: str) -> OnwardReferral:
    onward = (
        OnwardReferral.objects.filter(pk=referral_id, case__in=selectors.case_queryset(viewer))
        .select_related("case")
        .first()
    )
    if onward is None:
        raise Http404(NOT_FOUND_MESSAGE)
    require(viewer, Action.WORK_CASE, onward.case)
    _consented(onward.case)
    if outcome not in ReferralOutcome.values:
        raise ValidationFailed([FieldError("outcome", f"One of {', '.join(ReferralOutcome.values)}.")])
    onward.outcome = outcome
    onward.save(update_fields=["outcome"])
    _audit(
        viewer, onward.case, AuditAction.CHANGE, "Onward referral outcome", onward=onward.pk, outcome=outcome
    )
    return onward


@transaction.atomic
def goal_add(*, viewer: Viewer, case_id: int, text: str, progress: int = 0) -> CaseGoal:
    case = _case_to_work(viewer, case_id)
    _consented(case)
    _open(case)
    errors: list[FieldError] = []
    text = clean_text("text", text, 300, errors)
    if not 0 <= progress <= 100:
        errors.append(FieldError("progress", "Between 0 and 100."))
    if errors:
        raise ValidationFailed(errors)
    goal = CaseGoal.objects.create(
        case=case, text=text, progress=progress, achieved_on=timezone.localdate() if progress == 100 else None
    )
    _audit(viewer, case, AuditAction.CHANGE, "Set a goal", goal=goal.pk)
    return goal


@transaction.atomic
def case_share_with_police(*, viewer: Viewer, case_id: int, share: bool) -> NavigatorCase:
    """Let police of the force see (or stop seeing) that the person is engaged with a diversion programme."""
    case = _case_to_work(viewer, case_id)
    if share:
        _consented(case)
        _open(case)
    case.shared_with_police = share
    case.save(update_fields=["shared_with_police"])
    _audit(viewer, case, AuditAction.CHANGE, "Shared engagement with police" if share else "Stopped sharing")
    return case


@transaction.atomic
def case_close(*, viewer: Viewer, case_id: int, reason: str, on: dt.date) -> NavigatorCase:
    case = _case_to_work(viewer, case_id)
    _open(case)
    errors: list[FieldError] = []
    reason = clean_text("reason", reason, 300, errors)
    _not_future("on", on, errors)
    if on < case.referred_at:
        errors.append(FieldError("on", "Must not be before the referral."))
    if errors:
        raise ValidationFailed(errors)
    case.status = CaseStatus.CLOSED
    case.closed_at = on
    case.closure_reason = reason
    case.shared_with_police = False
    case.save(update_fields=["status", "closed_at", "closure_reason", "shared_with_police"])
    _audit(viewer, case, AuditAction.CHANGE, "Closed the case", reason=reason)
    return case


RETENTION_MONTHS_MIN, RETENTION_MONTHS_MAX = 1, 120


@transaction.atomic
def retention_set(*, viewer: Viewer, organisation_id: int, months: int) -> NavigatorSettings:
    """Set how many months after closure the organisation's closed cases are deleted (its navigators)."""
    if organisation_id not in selectors.navigator_org_ids(viewer):
        raise Http404(NOT_FOUND_MESSAGE)
    require(viewer, Action.WORK_CASE, Organisation(pk=organisation_id))
    if not RETENTION_MONTHS_MIN <= months <= RETENTION_MONTHS_MAX:
        raise ValidationFailed(
            [FieldError("months", f"Between {RETENTION_MONTHS_MIN} and {RETENTION_MONTHS_MAX} months.")]
        )
    before = selectors.settings_for(organisation_id).delete_closed_after_months
    conf, _ = NavigatorSettings.objects.update_or_create(
        organisation_id=organisation_id,
        defaults={"delete_closed_after_months": months, "updated_at": timezone.now()},
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="navigator_settings",
        object_id=organisation_id,
        organisation_id=organisation_id,
        summary=f"Closed cases deleted {months} months after closure (was {before})",
    )
    return conf


def retention_due(*, organisation_id: int, today: dt.date | None = None) -> list[NavigatorCase]:
    """The organisation's closed cases whose retention period after closure has passed."""
    today = today or timezone.localdate()
    months = selectors.settings_for(organisation_id).delete_closed_after_months
    cutoff = today - relativedelta(months=months)
    return list(
        NavigatorCase.objects.filter(
            organisation_id=organisation_id, status=CaseStatus.CLOSED, closed_at__lt=cutoff
        ).order_by("id")
    )


def retention_run(*, today: dt.date | None = None) -> int:
    """The scheduled job: delete every navigator organisation's closed cases past its retention period,
    each with an audit row (no personal data in it) in the same transaction. Answers how many went."""
    system = Viewer(user_id=None, channel="system")
    orgs = NavigatorCase.objects.filter(status=CaseStatus.CLOSED).values_list("organisation_id", flat=True)
    deleted = 0
    for organisation_id in sorted(set(orgs)):
        months = selectors.settings_for(organisation_id).delete_closed_after_months
        for case in retention_due(organisation_id=organisation_id, today=today):
            with transaction.atomic():
                audit_record(
                    viewer=system,
                    action=AuditAction.DELETE,
                    object_type="navigator_case",
                    object_id=case.pk,
                    organisation_id=organisation_id,
                    summary=f"Retention: closed case deleted {months} months after closure",
                )
                case.delete()
            deleted += 1
    return deleted

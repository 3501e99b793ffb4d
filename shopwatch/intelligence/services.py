"""Writes for partnership intelligence: galleries, merges, warnings and exclusions, graded intelligence,
retention. Every one checks who may act, validates, writes and audits in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can, require
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.errors import Conflict, FieldError, NotEntitled, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Distribution, Organisation, OrganisationKind, Store
from shopwatch.reporting.filed import IncidentsFiled
from shopwatch.reporting.models import Incident, IncidentOffender
from shopwatch.subjects.models import Person, PersonAlias, PersonStatus
from shopwatch.subjects.registrations import RegistrationError, normalise_registration
from shopwatch.subjects.services import person_create, person_erase

from .models import (
    Appeal,
    AppealDecision,
    Breach,
    ExclusionNotice,
    ExclusionStatus,
    GalleryEntry,
    GalleryStatus,
    HandlingCode,
    IntelligenceReport,
    IntelStatus,
    NetworkSharing,
    PartnershipSettings,
    ServedHow,
    SubjectKind,
    WarningLetter,
)


def settings_for(partnership: Organisation) -> PartnershipSettings:
    obj, _ = PartnershipSettings.objects.get_or_create(partnership=partnership)
    return obj


def _require_manager(viewer: Viewer, partnership: Organisation) -> None:
    if partnership.kind != OrganisationKind.PARTNERSHIP:
        raise ValidationFailed([FieldError("partnership", "Must be a partnership.")])
    require(viewer, Action.MANAGE_PARTNERSHIP, partnership)


def _visible_person(viewer: Viewer, person_id: int | None, field: str) -> Person:
    person = scope(Person.objects.all(), viewer).filter(pk=person_id).first() if person_id else None
    if person is None:
        raise ValidationFailed([FieldError(field, "Unknown person, or not one shared with you.")])
    return person


# --- Galleries ----------------------------------------------------------------------------------


def possible_duplicates(
    *, partnership: Organisation, given_name: str, family_name: str, date_of_birth: dt.date | None
) -> list[Person]:
    """People the partnership already holds who look like the same person (offered for merging)."""
    if not (given_name.strip() or family_name.strip()):
        return []
    qs = Person.objects.filter(
        partnership=partnership,
        given_name__iexact=given_name.strip(),
        family_name__iexact=family_name.strip(),
    )
    if date_of_birth:
        qs = qs.filter(Q(date_of_birth=date_of_birth) | Q(date_of_birth__isnull=True))
    return list(qs[:5])


@transaction.atomic
def gallery_list(
    *, viewer: Viewer, partnership: Organisation, person: Person, reason: str, advice: str = ""
) -> GalleryEntry:
    """Put a person on the partnership's gallery until the configured expiry (renewed by new incidents)."""
    _require_manager(viewer, partnership)
    errors: list[FieldError] = []
    reason = clean_text("reason", reason, 500, errors)
    advice = clean_text("advice", advice, 500, errors, required=False)
    if not scope(Person.objects.all(), viewer).filter(pk=person.pk).exists():
        errors.append(FieldError("person", "Unknown person, or not one shared with you."))
    if GalleryEntry.objects.filter(
        partnership=partnership, person=person, status=GalleryStatus.ACTIVE
    ).exists():
        errors.append(FieldError("person", "This person is already on the gallery."))
    if errors:
        raise ValidationFailed(errors)
    conf = settings_for(partnership)
    now = timezone.now()
    entry = GalleryEntry.objects.create(
        partnership=partnership,
        person=person,
        owner_org=partnership,
        reason=reason,
        advice=advice or GalleryEntry._meta.get_field("advice").default,
        distribution=Distribution.CONNECTED
        if conf.network_sharing != NetworkSharing.NONE
        else Distribution.PARTNERSHIP,
        listed_by_id=viewer.user_id,
        listed_at=now,
        expires_at=now + relativedelta(months=conf.gallery_months),
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="gallery_entry",
        object_id=entry.pk,
        partnership_id=partnership.pk,
        summary=f"Listed person {person.pk}",
    )
    return entry


@transaction.atomic
def gallery_add_person(
    *,
    viewer: Viewer,
    partnership: Organisation,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date | None,
    description: str,
    reason: str,
    advice: str = "",
    id_sought: bool = False,
    confirm_new: bool = False,
) -> GalleryEntry:
    """Create a person and list them. If the partnership already holds someone who looks the same, refuse
    and offer the merge, unless the manager confirmed this is someone else: never merge silently."""
    _require_manager(viewer, partnership)
    if not id_sought and not confirm_new:
        dupes = possible_duplicates(
            partnership=partnership,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
        )
        if dupes:
            raise Conflict(
                [
                    FieldError(
                        "family_name",
                        f"The partnership already holds {d.display_name} (record {d.pk}). "
                        "List that record, merge them, or confirm this is someone else.",
                    )
                    for d in dupes
                ],
                title="This may be a person the partnership already holds",
            )
    person = person_create(
        viewer=viewer,
        owner_org=partnership,
        partnership=partnership,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        description=description,
        status=PersonStatus.ID_SOUGHT if id_sought else PersonStatus.KNOWN,
    )
    return gallery_list(viewer=viewer, partnership=partnership, person=person, reason=reason, advice=advice)


@transaction.atomic
def gallery_remove(*, viewer: Viewer, entry: GalleryEntry, reason: str) -> GalleryEntry:
    _require_manager(viewer, entry.partnership)
    entry.status = GalleryStatus.REMOVED
    entry.updated_at = timezone.now()
    entry.save(update_fields=["status", "updated_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="gallery_entry",
        object_id=entry.pk,
        partnership_id=entry.partnership_id,
        summary=f"Removed: {reason[:200]}",
    )
    return entry


@transaction.atomic
def person_merge(*, viewer: Viewer, keep: Person, remove: Person, reason: str) -> Person:
    """Merge a duplicate into the record kept: incidents, images, aliases, listings, notices, intelligence."""
    if keep.pk == remove.pk:
        raise ValidationFailed([FieldError("remove", "Choose two different records.")])
    for p in (keep, remove):
        kept_by = p.partnership if p.partnership_id else None
        allowed = can(viewer, Action.MANAGE_PARTNERSHIP, kept_by) if kept_by else viewer.platform_admin
        if not allowed:
            raise NotEntitled(
                [FieldError("person", "Only the partnership that keeps both records may merge.")]
            )
    names = {a.name for a in keep.aliases.all()} | {keep.display_name}
    extra = [n for n in [remove.display_name, *[a.name for a in remove.aliases.all()]] if n not in names]
    PersonAlias.objects.bulk_create([PersonAlias(person=keep, name=n) for n in extra])
    IncidentOffender.objects.filter(person=remove).update(person=keep)
    remove.photos.exclude(sha256__in=keep.photos.values("sha256")).update(person=keep)
    for entry in GalleryEntry.objects.filter(person=remove):
        if GalleryEntry.objects.filter(
            partnership=entry.partnership, person=keep, status=GalleryStatus.ACTIVE
        ).exists():
            entry.delete()
        else:
            entry.person = keep
            entry.save(update_fields=["person"])
    _move_evidence_pairings(viewer, keep=keep, remove=remove)
    ExclusionNotice.objects.filter(person=remove).update(person=keep)
    WarningLetter.objects.filter(person=remove).update(person=keep)
    IntelligenceReport.objects.filter(person=remove).update(person=keep)
    IntelligenceReport.objects.filter(suggested_person=remove).update(suggested_person=keep)
    if remove.last_incident_at and (
        keep.last_incident_at is None or remove.last_incident_at > keep.last_incident_at
    ):
        keep.last_incident_at = remove.last_incident_at
        keep.save(update_fields=["last_incident_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="person",
        object_id=keep.pk,
        partnership_id=keep.partnership_id,
        summary=f"Merged record {remove.pk} into this one",
        detail={"reason": reason[:300], "merged": remove.pk},
    )
    person_erase(viewer=viewer, person=remove, reason=f"Merged into record {keep.pk}: {reason}"[:300])
    return keep


def _move_evidence_pairings(viewer: Viewer, *, keep: Person, remove: Person) -> None:
    """Files recorded as showing the merged-away record now show the kept one; each file's chain of custody
    records the move (ids only)."""
    from shopwatch.evidence.custody import custody_append
    from shopwatch.evidence.models import CustodyAction, EvidencePerson

    already = EvidencePerson.objects.filter(person=keep).values("evidence_id")
    for pairing in (
        EvidencePerson.objects.filter(person=remove)
        .exclude(evidence_id__in=already)
        .select_related("evidence")
    ):
        EvidencePerson.objects.filter(pk=pairing.pk).update(person=keep)
        custody_append(
            evidence=pairing.evidence,
            action=CustodyAction.LINKED,
            viewer=viewer,
            detail={"person": keep.pk, "merged_from": remove.pk},
        )


# --- Reports arriving: renew listings, detect breaches --------------------------------------------


def incidents_filed(event: IncidentsFiled) -> None:
    """The incident-filed handler (registered in IntelligenceConfig.ready()): reports naming known persons."""
    if event.person_ids:
        incidents_reported(incidents=event.incidents)


def incidents_reported(*, incidents: Iterable[Incident]) -> list[Breach]:
    """Called by the incident services when reports are saved: listed people's entries are renewed, and an
    excluded person reported at a covered store is a breach that the partnership is told about."""
    incidents = list(incidents)
    links = list(
        IncidentOffender.objects.filter(incident__in=incidents, person__isnull=False).values_list(
            "incident_id", "person_id"
        )
    )
    if not links:
        return []
    by_id = {i.pk: i for i in incidents}
    persons = {p for _, p in links}
    now = timezone.now()
    for entry in GalleryEntry.objects.filter(
        person_id__in=persons, status=GalleryStatus.ACTIVE
    ).select_related("partnership__intel_settings"):
        conf = getattr(entry.partnership, "intel_settings", None)
        months = conf.gallery_months if conf else 12
        renewed = now + relativedelta(months=months)
        if renewed > entry.expires_at:
            entry.expires_at, entry.updated_at = renewed, now
            entry.save(update_fields=["expires_at", "updated_at"])
    breaches: list[Breach] = []
    exclusions = list(
        ExclusionNotice.objects.filter(person_id__in=persons, status=ExclusionStatus.ACTIVE).prefetch_related(
            "stores"
        )
    )
    for incident_id, person_id in links:
        inc = by_id[incident_id]
        day = timezone.localtime(inc.occurred_at).date()
        store_partnerships = {p.pk for p in inc.store.partnerships.all()}
        for ex in exclusions:
            if ex.person_id != person_id or not ex.in_force_on(day):
                continue
            covered = (
                (ex.partnership_id in store_partnerships)
                if ex.all_premises
                else (inc.store_id in {s.pk for s in ex.stores.all()})
            )
            if covered:
                breaches.append(Breach(exclusion=ex, incident=inc))
    if breaches:
        Breach.objects.bulk_create(breaches, ignore_conflicts=True)
        from . import tasks

        for b in breaches:
            transaction.on_commit(partial(tasks.notify_breach.enqueue, b.exclusion_id, b.incident_id))
    return breaches


# --- Warnings and exclusions --------------------------------------------------------------------


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


# --- Graded intelligence ------------------------------------------------------------------------


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

    if partnership.pk not in viewer.partnership_ids and not viewer.platform_admin:
        raise NotEntitled(
            [FieldError("partnership", "You can submit intelligence only to your own partnerships.")]
        )
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
    from .models import Assessment, SourceEvaluation

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


# --- Retention ----------------------------------------------------------------------------------


@dataclass
class RetentionPlan:
    partnership: Organisation
    entries_to_expire: list[GalleryEntry]
    persons_to_delete: list[Person]


def retention_plan(*, partnership: Organisation, now: dt.datetime | None = None) -> RetentionPlan:
    """What the next retention run will do for a partnership (the preview a manager sees)."""
    now = now or timezone.now()
    conf = settings_for(partnership)
    entries = list(
        GalleryEntry.objects.filter(
            partnership=partnership, status=GalleryStatus.ACTIVE, expires_at__lte=now
        ).select_related("person")
    )
    cutoff = now - relativedelta(months=conf.delete_after_months)
    active_exclusions = ExclusionNotice.objects.filter(
        status=ExclusionStatus.ACTIVE, ends_on__gte=timezone.localtime(now).date()
    )
    persons = list(
        Person.objects.filter(partnership=partnership)
        .filter(Q(last_incident_at__lt=cutoff) | Q(last_incident_at__isnull=True, created_at__lt=cutoff))
        .exclude(pk__in=active_exclusions.values("person_id"))
        .order_by("id")
    )
    return RetentionPlan(partnership=partnership, entries_to_expire=entries, persons_to_delete=persons)


def retention_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduled job: expire gallery entries and delete people past each partnership's period."""
    now = now or timezone.now()
    totals = {"expired": 0, "deleted": 0}
    for partnership in Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP):
        plan = retention_plan(partnership=partnership, now=now)
        with transaction.atomic():
            for entry in plan.entries_to_expire:
                entry.status, entry.updated_at = GalleryStatus.EXPIRED, now
                entry.save(update_fields=["status", "updated_at"])
            totals["expired"] += len(plan.entries_to_expire)
            conf = settings_for(partnership)
            for person in plan.persons_to_delete:
                person_erase(
                    viewer=None,
                    person=person,
                    reason=f"Retention: no new incidents for {conf.delete_after_months} months",
                )
            totals["deleted"] += len(plan.persons_to_delete)
        ExclusionNotice.objects.filter(
            partnership=partnership, status=ExclusionStatus.ACTIVE, ends_on__lt=timezone.localtime(now).date()
        ).update(status=ExclusionStatus.EXPIRED)
    return totals


@transaction.atomic
def settings_update(
    *,
    viewer: Viewer,
    partnership: Organisation,
    gallery_months: int,
    delete_after_months: int,
    network_sharing: str,
) -> PartnershipSettings:
    _require_manager(viewer, partnership)
    errors: list[FieldError] = []
    if not 1 <= gallery_months <= 36:
        errors.append(FieldError("gallery_months", "Between 1 and 36 months."))
    if not 1 <= delete_after_months <= 120:
        errors.append(FieldError("delete_after_months", "Between 1 and 120 months."))
    if network_sharing not in NetworkSharing.values:
        errors.append(FieldError("network_sharing", "Nothing, images only, or images and details."))
    if errors:
        raise ValidationFailed(errors)
    conf = settings_for(partnership)
    conf.gallery_months, conf.delete_after_months = gallery_months, delete_after_months
    conf.network_sharing, conf.updated_at = network_sharing, timezone.now()
    conf.save(update_fields=["gallery_months", "delete_after_months", "network_sharing", "updated_at"])
    GalleryEntry.objects.filter(partnership=partnership, status=GalleryStatus.ACTIVE).update(
        distribution=Distribution.CONNECTED
        if network_sharing != NetworkSharing.NONE
        else Distribution.PARTNERSHIP
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="partnership_settings",
        object_id=partnership.pk,
        partnership_id=partnership.pk,
        summary=(
            f"Gallery {gallery_months} months, delete after {delete_after_months}, network {network_sharing}"
        ),
    )
    return conf

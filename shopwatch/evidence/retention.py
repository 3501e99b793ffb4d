"""Retention: evidence kept for the longest period any applicable policy sets, deleted on a schedule.

An incident's category comes from what police recorded (its crime record, when there is one): no crime,
crime recorded, charged, or a court case (charged or summonsed). Each partnership the store belongs to
may set a period per category; the longest applicable period wins, counted from the case's last event
(the file's arrival, the incident, or the police outcome, whichever is latest). A file linked to several
incidents (see linking.py) is judged on each of them and kept for the longest. Nothing is deleted while
police still have any of its cases open, or where no partnership set a period. Deletion removes the original's
bytes and keeps the record as a tombstone, with a "retention" decision and a "deleted" entry in its chain
of custody. ``retention_preview`` shows exactly what ``retention_apply`` would delete.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ObjectDoesNotExist
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, NotEntitled, ValidationFailed
from shopwatch.core.models import AuditAction, Organisation, OrganisationKind, Store
from shopwatch.reporting.models import Incident

from .custody import custody_append
from .models import CustodyAction, EvidenceFile, EvidenceLink, RetentionCategory, RetentionPolicy

_OPEN_STATUSES = {"crime_recorded", "under_investigation", "charged"}
_COURT_OUTCOMES = {"1", "1A"}


@dataclass(frozen=True)
class Decision:
    evidence: EvidenceFile
    category: str
    days: int | None
    due_at: dt.datetime | None
    reason: str


def incident_category(incident: Incident) -> tuple[str, bool, dt.datetime | None]:
    """(category, whether police still have the case open, when the police outcome was recorded)."""
    try:
        record = incident.crime_record
    except (ObjectDoesNotExist, AttributeError):
        record = None
    if record is None:
        return (
            RetentionCategory.CRIME_RECORDED if incident.crime_reference else RetentionCategory.NO_CRIME,
            False,
            None,
        )
    open_case = record.status in _OPEN_STATUSES and not record.outcome
    if record.outcome in _COURT_OUTCOMES:
        return RetentionCategory.COURT_CASE, open_case, record.outcome_at
    if record.status == "charged":
        return RetentionCategory.CHARGED, open_case, record.outcome_at
    if record.status == "no_crime":
        return RetentionCategory.NO_CRIME, False, record.outcome_at
    return RetentionCategory.CRIME_RECORDED, open_case, record.outcome_at


def _incident_decision(
    incident: Incident, created_at: dt.datetime, policies: dict[tuple[int, str], int], partnerships: list[int]
) -> tuple[str, int | None, dt.datetime | None, str]:
    """(category, days, due_at, reason) for one of the file's incidents; due_at None means keep."""
    category, open_case, outcome_at = incident_category(incident)
    periods = [policies[(p, category)] for p in partnerships if (p, category) in policies]
    if open_case:
        return category, max(periods) if periods else None, None, "police have the case open"
    if not periods:
        return category, None, None, "no partnership sets a period for this category"
    days = max(periods)  # the longest applicable period wins
    last_event = max(d for d in (created_at, incident.occurred_at, outcome_at) if d is not None)
    return (
        category,
        days,
        last_event + dt.timedelta(days=days),
        f"kept {days} days after the case's last event",
    )


def decide(
    evidence: EvidenceFile,
    policies: dict[tuple[int, str], int],
    partnerships: dict[int, list[int]],
    linked: list[Incident] | None = None,
) -> Decision:
    """The file's retention: each incident it belongs to (its own and any it was linked to) is judged by
    the policies of its store's partnerships, and the file is kept as long as the longest of them; it is
    kept while any of them is open with police or has no period set."""
    incidents = [evidence.incident, *(linked or [])]
    judged = [
        (i, *_incident_decision(i, evidence.created_at, policies, partnerships.get(i.store_id, [])))
        for i in incidents
    ]
    kept = [j for j in judged if j[3] is None]
    if kept:
        incident, category, days, _, reason = kept[0]
        if len(incidents) > 1:
            reason = f"{incident.reference}: {reason}"
        return Decision(evidence, category, days, None, reason)
    incident, category, days, due_at, reason = max(judged, key=lambda j: j[3])  # type: ignore[arg-type,return-value]
    if len(incidents) > 1:
        reason = f"{reason} ({category}, {incident.reference}, the longest of {len(incidents)} incidents)"
    else:
        reason = f"{reason} ({category})"
    return Decision(evidence, category, days, due_at, reason)


def _partnership(viewer: Viewer, slug: str) -> Organisation:
    partnership = Organisation.objects.filter(slug=slug, kind=OrganisationKind.PARTNERSHIP).first()
    if partnership is None or not can(viewer, Action.MANAGE_PARTNERSHIP, partnership):
        raise NotEntitled(
            [FieldError("partnership", "Only the partnership's managers set and run its retention.")]
        )
    return partnership


@transaction.atomic
def retention_policy_set(
    *, viewer: Viewer, partnership: str, category: str, days: int | None
) -> RetentionPolicy:
    org = _partnership(viewer, partnership)
    errors = []
    if category not in RetentionCategory.values:
        errors.append(FieldError("category", f"One of: {', '.join(RetentionCategory.values)}."))
    if days is None or not 1 <= days <= 36500:
        errors.append(FieldError("days", "From 1 to 36,500 days."))
    if errors:
        raise ValidationFailed(errors)
    policy, _ = RetentionPolicy.objects.update_or_create(
        partnership=org,
        category=category,
        defaults={"days": days, "updated_by_id": viewer.user_id, "updated_at": timezone.now()},
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="retention_policy",
        object_id=policy.pk,
        partnership_id=org.pk,
        summary=f"{org.name}: keep {category} evidence {days} days",
    )
    return policy


def _candidates(
    org: Organisation,
) -> tuple[list[EvidenceFile], dict[tuple[int, str], int], dict[int, list[int]], dict[int, list[Incident]]]:
    """The partnership's undeleted files (on its stores' incidents, or linked to one), the policies of every
    partnership concerned, each store's partnerships, and each file's linked incidents."""
    store_ids = list(
        Store.partnerships.through.objects.filter(organisation_id=org.pk).values_list("store_id", flat=True)
    )
    linked_here = EvidenceLink.objects.filter(incident__store_id__in=store_ids).values("evidence_id")
    files = list(
        EvidenceFile.objects.filter(
            Q(incident__store_id__in=store_ids) | Q(pk__in=linked_here), deleted_at__isnull=True
        )
        .select_related("incident", "incident__store", "incident__crime_record")
        .order_by("id")
    )
    linked: dict[int, list[Incident]] = {}
    for link in EvidenceLink.objects.filter(evidence_id__in=[f.pk for f in files]).select_related(
        "incident", "incident__crime_record"
    ):
        linked.setdefault(link.evidence_id, []).append(link.incident)
    all_stores = {f.incident.store_id for f in files} | {i.store_id for ii in linked.values() for i in ii}
    links = Store.partnerships.through.objects.filter(store_id__in=all_stores).values_list(
        "store_id", "organisation_id"
    )
    by_store: dict[int, list[int]] = {}
    for store_id, partnership_id in links:
        by_store.setdefault(store_id, []).append(partnership_id)
    policies = {
        (p.partnership_id, p.category): p.days
        for p in RetentionPolicy.objects.filter(partnership_id__in={pid for _, pid in links})
    }
    return files, policies, by_store, linked


def retention_preview(*, viewer: Viewer, partnership: str, at: dt.datetime | None = None) -> list[Decision]:
    """The files of the partnership's stores that are due for deletion at ``at`` (now by default)."""
    org = _partnership(viewer, partnership)
    when = at or timezone.now()
    files, policies, by_store, linked = _candidates(org)
    decisions = [decide(f, policies, by_store, linked.get(f.pk)) for f in files]
    return [d for d in decisions if d.due_at is not None and d.due_at <= when]


def retention_apply(*, viewer: Viewer, partnership: str, at: dt.datetime | None = None) -> list[Decision]:
    """Delete what the preview shows: the bytes go, the record stays as a tombstone, custody records both."""
    due = retention_preview(viewer=viewer, partnership=partnership, at=at)
    for decision in due:
        evidence = decision.evidence
        with transaction.atomic():
            locked = EvidenceFile.objects.select_for_update().get(pk=evidence.pk)
            if locked.deleted_at is not None:
                continue
            custody_append(
                evidence=evidence,
                action=CustodyAction.RETENTION,
                viewer=viewer,
                detail={
                    "category": decision.category,
                    "days": decision.days,
                    "due_at": decision.due_at.isoformat() if decision.due_at else None,
                    "decision": "delete",
                },
            )
            now = timezone.now()
            EvidenceFile.objects.filter(pk=evidence.pk).update(deleted_at=now)
            custody_append(
                evidence=evidence,
                action=CustodyAction.DELETED,
                viewer=viewer,
                detail={
                    "sha256": evidence.sha256,
                    "size": evidence.size,
                    "reason": decision.reason,
                },
            )
            audit_record(
                viewer=viewer,
                action=AuditAction.DELETE,
                object_type="evidence",
                object_id=evidence.pk,
                store_id=evidence.incident.store_id,
                summary=f"{evidence.incident.reference}: {evidence.original_filename} deleted (retention)",
            )
            name = evidence.file.name
            transaction.on_commit(partial(default_storage.delete, name))
    return due


SYSTEM = Viewer(user_id=None, platform_admin=True, channel="system")


def retention_run_all(*, apply: bool, at: dt.datetime | None = None) -> dict[str, list[Decision]]:
    """Every partnership's due files (the scheduled run, as the system); deleted when ``apply``."""
    run = retention_apply if apply else retention_preview
    slugs = (
        Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP)
        .order_by("slug")
        .values_list("slug", flat=True)
    )
    return {slug: run(viewer=SYSTEM, partnership=slug, at=at) for slug in slugs}

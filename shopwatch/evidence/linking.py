"""One file, several incidents: linking evidence to further incidents, and unlinking it.

A CCTV export often covers more than one incident, and the same photo is sent with more than one report.
The bytes are stored once (the file's first incident stays its home); every other incident gets an
``EvidenceLink``. A linked file is listed on each of its incidents and kept for the longest retention period
among them (``retention.decide``). A link never widens who sees the file: the audience of a linked incident
sees it only when the file's owner made the link (``shares_audience``, the capability table's
``share_evidence_wider``); anyone else's link shows it there only to those who could already see it
(``selectors.evidence_queryset``). Linking and unlinking enter the file's chain of custody and the audit
trail.

Links are made by hand (``evidence_link``: police of the incident's force, or people who report for its
store) or when the same bytes arrive again for another incident of the same organisation
(``link_same_file``, used by the upload paths in ``services``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can, require
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, get_visible
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.ids import parse_id
from shopwatch.core.models import AuditAction
from shopwatch.core.references import incident_reference
from shopwatch.reporting.models import Incident
from shopwatch.reporting.selectors import incident_queryset

from .custody import custody_append
from .models import CustodyAction, EvidenceFile, EvidenceLink, LinkVia
from .selectors import evidence_to_change, on_incidents_q

MAX_REASON = 500


def reason_error(name: str, value: str, *, missing: str) -> FieldError | None:
    """The problem with a required reason or note (stripped by the caller), if any."""
    if not value:
        return FieldError(name, missing) if missing else None
    if len(value) > MAX_REASON:
        return FieldError(name, f"At most {MAX_REASON} characters (this is {len(value)}).")
    return None


def _record(
    *, viewer: Viewer, evidence: EvidenceFile, incident: Incident, via: str, reason: str, shares: bool
) -> EvidenceLink:
    link = EvidenceLink.objects.create(
        evidence=evidence,
        incident=incident,
        via=via,
        reason=reason,
        linked_by_id=viewer.user_id,
        shares_audience=shares,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="evidence",
        object_id=evidence.pk,
        store_id=incident.store_id,
        summary=f"{evidence.original_filename} ({evidence.incident.reference}) "
        f"linked to {incident.reference}",
        detail={"incident": incident.pk, "via": via, "reason": reason, "shares_audience": shares},
    )
    custody_append(
        evidence=evidence,
        action=CustodyAction.LINKED,
        viewer=viewer,
        detail={"incident": incident.pk, "reference": incident.reference, "via": via, "reason": reason},
    )
    return link


def link_same_file(*, viewer: Viewer, incident: Incident, sha256: str) -> EvidenceFile | None:
    """The file with these bytes the incident already has, or one its organisation holds for another
    incident, which is then linked to this one (stored once); None when the bytes are new."""
    on_incident = (
        EvidenceFile.objects.filter(on_incidents_q([incident.pk]), sha256=sha256).order_by("id").first()
    )
    if on_incident is not None:
        return on_incident
    held = (
        EvidenceFile.objects.filter(
            owner_org_id=incident.owner_org_id, sha256=sha256, deleted_at__isnull=True
        )
        .select_related("incident")
        .order_by("id")
        .first()
    )
    if held is None:
        return None
    try:
        with transaction.atomic():
            _record(
                viewer=viewer,
                evidence=held,
                incident=incident,
                via=LinkVia.SAME_FILE,
                reason="The same file was uploaded to this incident.",
                # The organisation that holds the file uploaded it again: its own decision to share.
                shares=True,
            )
    except IntegrityError:  # linked at the same moment by another request
        pass
    return held


def _target(viewer: Viewer, reference: str) -> Incident:
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed([FieldError("incident", "Give the reference of the incident to link to.")])
    pk = parse_id(reference)
    # The reference as printed, in any case, dashes optional (core/references.py).
    canonical = incident_reference(reference)
    lookup: dict[str, object] = (
        {"pk": pk}
        if pk is not None
        else {"reference": canonical}
        if canonical
        else {"reference__iexact": reference}
    )
    try:
        return get_visible(incident_queryset(viewer), viewer, **lookup)
    except Http404 as exc:
        raise ValidationFailed(
            [FieldError("incident", f"No incident '{reference[:40]}' that you can see.")]
        ) from exc


@transaction.atomic
def evidence_link(*, viewer: Viewer, evidence_id: int, incident: str, reason: str = "") -> EvidenceLink:
    """Link a file to a further incident, named by its reference (or id). The viewer must see the file and
    the incident and be entitled to add evidence to that incident."""
    evidence = evidence_to_change(viewer=viewer, evidence_id=evidence_id)
    target = _target(viewer, incident)
    reason = (reason or "").strip()
    errors = []
    require(
        viewer,
        Action.ADD_EVIDENCE,
        target,
        message=f"Only police of the force, or people who report for the store, add evidence to "
        f"{target.reference}.",
    )
    already = EvidenceLink.objects.filter(evidence=evidence, incident=target).exists()
    if target.pk == evidence.incident_id or already:
        errors.append(FieldError("incident", f"This file is already on {target.reference}."))
    problem = reason_error("reason", reason, missing="Say why the file belongs to this incident too.")
    if problem:
        errors.append(problem)
    if errors:
        raise ValidationFailed(errors)
    # Linking never widens who sees a file: only its owner's link lets it follow the incident's audience;
    # anyone else's shows it on the incident to those who could already see it (docs/decisions/0002).
    shares = can(viewer, Action.SHARE_EVIDENCE_WIDER, evidence)
    return _record(
        viewer=viewer, evidence=evidence, incident=target, via=LinkVia.BY_HAND, reason=reason, shares=shares
    )


@transaction.atomic
def evidence_unlink(*, viewer: Viewer, evidence_id: int, incident_id: int, reason: str = "") -> None:
    """Take a file off an incident it was linked to (its first incident stays its home)."""
    evidence = evidence_to_change(viewer=viewer, evidence_id=evidence_id)
    link = (
        EvidenceLink.objects.select_for_update()
        .filter(evidence=evidence, incident_id=incident_id)
        .select_related("incident")
        .first()
        if str(incident_id).isdigit()
        else None
    )
    if link is None or not incident_queryset(viewer).filter(pk=link.incident_id).exists():
        raise Http404(NOT_FOUND_MESSAGE)
    require(
        viewer,
        Action.ADD_EVIDENCE,
        link.incident,
        message=f"Only police of the force, or people who report for the store, change "
        f"{link.incident.reference}'s evidence.",
    )
    reason = (reason or "").strip()
    problem = reason_error("reason", reason, missing="Say why the file does not belong to this incident.")
    if problem:
        raise ValidationFailed([problem])
    incident = link.incident
    EvidenceLink.objects.filter(pk=link.pk).delete()
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="evidence",
        object_id=evidence.pk,
        store_id=incident.store_id,
        summary=f"{evidence.original_filename} unlinked from {incident.reference}",
        detail={"incident": incident.pk, "reason": reason},
    )
    custody_append(
        evidence=evidence,
        action=CustodyAction.UNLINKED,
        viewer=viewer,
        detail={"incident": incident.pk, "reference": incident.reference, "reason": reason},
    )

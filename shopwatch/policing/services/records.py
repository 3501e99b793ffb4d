"""What crime recording says back: crime reference, status and outcome, by callback or by hand."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import Conflict, FieldError, ServiceError, ValidationFailed
from shopwatch.core.models import AuditAction, Channel
from shopwatch.core.ratelimit import allow
from shopwatch.reporting.models import STATUS_ORDER, Incident, IncidentStatus
from shopwatch.reporting.services import incident_set_status

from ..models import (
    CALLBACK_REFUSED,
    CHARGE_OUTCOMES,
    CallbackReceipt,
    CrimeRecord,
    CrimeRecordChange,
    ForceEndpoint,
    OutcomeType,
    PoliceStatus,
)
from ..payload import signature_matches
from ..secrets import SecretUnreadable
from .common import require_investigator, system_viewer
from .notifications import notification_create_for_store

log = logging.getLogger("shopwatch.policing.callback")

MAX_REFERENCE = 40
_RECORDED = (
    PoliceStatus.CRIME_RECORDED,
    PoliceStatus.UNDER_INVESTIGATION,
    PoliceStatus.CHARGED,
    PoliceStatus.CLOSED,
)


class Unauthorised(ServiceError):
    status_code = 401
    title = "Signature missing or wrong"


class CallbackNotFound(ServiceError):
    status_code = 404
    title = "Not found"


@dataclass
class RecordResult:
    record: CrimeRecord
    changed: bool
    warnings: list[FieldError] = field(default_factory=list)


def _clean_reference(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed([FieldError("crime_reference", "Must be text.")])
    ref = value.strip().upper()
    if len(ref) > MAX_REFERENCE:
        raise ValidationFailed(
            [FieldError("crime_reference", f"Must be at most {MAX_REFERENCE} characters.")]
        )
    if ref and not all(c.isalnum() or c in "/-_ ." for c in ref):
        raise ValidationFailed(
            [FieldError("crime_reference", "Use letters, digits, spaces and / - _ . only.")]
        )
    return ref


def _contradiction(status: str, outcome: str) -> str | None:
    """Why a status and an outcome cannot both be true, or None."""
    if not outcome:
        return None
    label = OutcomeType(outcome).label
    if status == PoliceStatus.NO_CRIME:
        return f"A 'no crime' decision cannot have an outcome ({label}): an outcome needs a recorded crime."
    if status == PoliceStatus.CHARGED and outcome not in CHARGE_OUTCOMES:
        return f"The crime is recorded as charged, so its outcome must be a charge or summons, not '{label}'."
    if status == PoliceStatus.UNDER_INVESTIGATION:
        return f"The crime is still under investigation, so no outcome ('{label}') can be recorded yet."
    return None


def _status_for_outcome(outcome: str) -> str:
    return PoliceStatus.CHARGED if outcome in CHARGE_OUTCOMES else PoliceStatus.CLOSED


def _advance_incident(viewer: Viewer, incident: Incident, to: str, note: str) -> None:
    if STATUS_ORDER.index(incident.status) < STATUS_ORDER.index(to):
        incident_set_status(viewer=viewer, incident=incident, status=to, note=note)


@transaction.atomic
def crime_record_update(
    *,
    viewer: Viewer,
    incident: Incident,
    crime_reference: str | None = None,
    status: str | None = None,
    outcome: str | None = None,
    cbo_applied: bool | None = None,
    cbo_granted: bool | None = None,
    source: str = "manual",
    note: str = "",
) -> RecordResult:
    """Apply what the force says about an incident. ``None`` leaves a value as it is.

    Refuses contradictions with a clear message; applying the same values again changes nothing; a crime
    reference already used for another incident of the same force is applied but flagged.
    """
    record, _ = CrimeRecord.objects.select_for_update().get_or_create(
        incident=incident, defaults={"force_id": incident.force_id}
    )
    new_ref = record.crime_reference if crime_reference is None else _clean_reference(crime_reference)
    new_status = record.status if status is None else status
    if new_status and new_status not in PoliceStatus.values:
        raise ValidationFailed([FieldError("status", f"Must be one of: {', '.join(PoliceStatus.values)}.")])
    new_outcome = record.outcome if outcome is None else outcome
    if new_outcome and new_outcome not in OutcomeType.values:
        raise ValidationFailed([FieldError("outcome", "Choose a Home Office outcome type.")])
    if outcome and status is None:
        # Recording an outcome finishes the investigation: charged, or closed.
        keep = record.status in (PoliceStatus.NO_CRIME, PoliceStatus.CHARGED)
        new_status = record.status if keep else _status_for_outcome(new_outcome)
    applied = record.cbo_applied if cbo_applied is None else cbo_applied
    granted = record.cbo_granted if cbo_granted is None else cbo_granted

    missing: list[FieldError] = []
    if new_outcome and not new_ref:
        missing.append(FieldError("crime_reference", "Record the crime reference before the outcome."))
    elif new_status in _RECORDED and not new_ref:
        missing.append(FieldError("crime_reference", "A recorded crime needs its crime reference number."))
    if missing:
        raise ValidationFailed(missing)
    errors: list[FieldError] = []
    why = _contradiction(new_status, new_outcome)
    if why:
        errors.append(FieldError("outcome" if outcome is not None else "status", why))
    if granted and not applied:
        errors.append(
            FieldError("cbo_granted", "A Criminal Behaviour Order can only be granted once applied for.")
        )
    if applied and new_outcome and new_outcome not in CHARGE_OUTCOMES:
        errors.append(
            FieldError(
                "cbo_applied",
                "A Criminal Behaviour Order follows a conviction, so it needs a charge or summons outcome.",
            )
        )
    if errors:
        raise ValidationFailed(errors, title="The update contradicts what is recorded")

    warnings: list[FieldError] = []
    clash = (
        bool(new_ref)
        and CrimeRecord.objects.filter(force_id=incident.force_id, crime_reference=new_ref)
        .exclude(incident=incident)
        .exists()
    )
    if clash:
        warnings.append(
            FieldError(
                "crime_reference",
                f"{new_ref} is already used for another incident of this force; flagged for review.",
            )
        )

    before = (record.crime_reference, record.status, record.outcome, record.cbo_applied, record.cbo_granted)
    after = (new_ref, new_status, new_outcome, applied, granted)
    if before == after:
        return RecordResult(record, False, warnings)

    now = timezone.now()
    record.crime_reference, record.status, record.outcome = new_ref, new_status, new_outcome
    record.cbo_applied, record.cbo_granted = applied, granted
    record.reference_clash = clash
    if new_outcome != before[2]:
        record.outcome_at = now if new_outcome else None
    record.updated_at = now
    record.save(
        update_fields=[
            "crime_reference",
            "status",
            "outcome",
            "outcome_at",
            "cbo_applied",
            "cbo_granted",
            "reference_clash",
            "updated_at",
        ]
    )
    CrimeRecordChange.objects.create(
        incident=incident,
        source=source,
        crime_reference=new_ref,
        status=new_status,
        outcome=new_outcome,
        cbo_applied=applied,
        cbo_granted=granted,
        note=note[:500],
        actor_id=viewer.user_id,
        at=now,
    )
    if incident.crime_reference != new_ref:
        incident.crime_reference = new_ref
        incident.updated_at = now
        incident.save(update_fields=["crime_reference", "updated_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        organisation_id=incident.force_id,
        summary=f"{incident.reference}: crime record {new_ref or '-'} {new_status or '-'}"
        + (f" outcome {new_outcome}" if new_outcome else ""),
        detail={"source": source, "before": list(before), "after": list(after), "clash": clash},
    )
    if new_outcome and new_outcome != before[2]:
        _advance_incident(
            viewer, incident, IncidentStatus.OUTCOME, f"Outcome: {OutcomeType(new_outcome).label}"
        )
    elif new_status in _RECORDED:
        _advance_incident(viewer, incident, IncidentStatus.CRIME_RECORDED, f"Crime reference {new_ref}")

    parts = []
    if new_ref != before[0]:
        parts.append(f"Crime reference: {new_ref}.")
    if new_status != before[1] and new_status:
        parts.append(f"Status: {PoliceStatus(new_status).label}.")
    if new_outcome != before[2] and new_outcome:
        parts.append(f"Outcome: {OutcomeType(new_outcome).label}.")
    if applied != before[3] or granted != before[4]:
        parts.append(
            "Criminal Behaviour Order: "
            + ("granted." if granted else "applied for." if applied else "no longer sought.")
        )
    notification_create_for_store(
        incident=incident,
        subject=f"{incident.reference}: police update",
        body=" ".join(parts) or "The police record was updated.",
    )
    return RecordResult(record, True, warnings)


def crime_record_manual(
    *, viewer: Viewer, incident: Incident, crime_reference: str, status: str, note: str = ""
) -> RecordResult:
    """An investigator enters the crime reference and status by hand (forces without a callback)."""
    require_investigator(viewer)
    return crime_record_update(
        viewer=viewer,
        incident=incident,
        crime_reference=crime_reference,
        status=status or None,
        source="manual",
        note=note,
    )


def outcome_record(
    *,
    viewer: Viewer,
    incident: Incident,
    outcome: str,
    cbo_applied: bool = False,
    cbo_granted: bool = False,
    note: str = "",
) -> RecordResult:
    """Record a Home Office outcome (and any Criminal Behaviour Order) for a recorded crime."""
    require_investigator(viewer)
    if not outcome:
        raise ValidationFailed([FieldError("outcome", "Choose a Home Office outcome type.")])
    return crime_record_update(
        viewer=viewer,
        incident=incident,
        outcome=outcome,
        cbo_applied=cbo_applied,
        cbo_granted=cbo_granted,
        source="manual",
        note=note,
    )


# --- The signed callback ------------------------------------------------------------------------------

CALLBACK_FIELDS = {"incident", "crime_reference", "status", "note"}


@dataclass
class CallbackResult:
    incident_id: int
    applied: bool
    duplicate: bool
    crime_reference: str
    status: str
    warnings: list[FieldError]


def _parse_callback(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed([FieldError("body", f"Not valid JSON: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("body", "The body must be a JSON object.")])
    errors = [FieldError(k, "Unknown field.") for k in sorted(set(data) - CALLBACK_FIELDS)]
    if not isinstance(data.get("incident"), int) or isinstance(data.get("incident"), bool):
        errors.append(FieldError("incident", "Required: the ShopWatch incident id (an integer)."))
    if not isinstance(data.get("crime_reference"), str):
        errors.append(FieldError("crime_reference", "Required: text (empty only for no_crime)."))
    if data.get("status") not in PoliceStatus.values:
        errors.append(FieldError("status", f"Must be one of: {', '.join(PoliceStatus.values)}."))
    if "note" in data and not isinstance(data["note"], str):
        errors.append(FieldError("note", "Must be text."))
    if errors:
        raise ValidationFailed(errors)
    return data


# Unsigned or wrongly signed callbacks recorded in the audit trail per second from one address; more are only
# logged (anyone can send them, so they must not be able to fill the trail).
REFUSED_AUDITS_PER_SECOND = 10


def _claimed_incident(body: bytes) -> Incident | None:
    """The incident a body says it is about, if it names one that was sent to police (nothing is trusted)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    claimed = data.get("incident") if isinstance(data, dict) else None
    if not isinstance(claimed, int) or isinstance(claimed, bool):
        return None
    return Incident.objects.filter(pk=claimed, sent_to_police=True).first()


def callback_refused(
    *,
    body: bytes,
    remote: str,
    status: int,
    why: str,
    errors: list[FieldError],
    force_id: int | None = None,
    incident: Incident | None = None,
) -> None:
    """Log a refused callback and record it in the audit trail against the force (the one whose secret signed
    it; for an unsigned one, the force of the incident it names) and the incident's store, so the force's
    team and the store's partnership managers can see it."""
    log.warning("Hand-off callback refused from %s: %s", remote or "unknown address", why)
    if force_id is None:
        incident = incident or _claimed_incident(body)
        if not allow(f"callback-refused:{remote}", per_second=REFUSED_AUDITS_PER_SECOND)[0]:
            return
        force_id = incident.force_id if incident else None
    viewer = system_viewer(force_id=force_id, channel=Channel.API)
    with transaction.atomic():
        audit_record(
            viewer=viewer,
            action=AuditAction.CREATE,
            object_type=CALLBACK_REFUSED,
            object_id=incident.pk if incident else "",
            store_id=incident.store_id if incident else None,
            organisation_id=force_id,
            summary=f"Hand-off callback refused ({status}): {why}",
            detail={
                "status": status,
                "remote": remote[:100],
                "body_sha256": hashlib.sha256(body).hexdigest(),
                "body_bytes": len(body),
                "incident": incident.pk if incident else None,
                "errors": [e.as_dict() for e in errors[:20]],
            },
        )


def callback_force(*, body: bytes, signature: str | None, remote: str = "") -> ForceEndpoint:
    """The force whose secret signed this body; refuses (and audits) an unsigned or wrongly signed one."""
    if not signature or not signature.startswith("sha256="):
        errors = [FieldError("X-ShopWatch-Signature", "Send sha256=<hex HMAC-SHA256 of the body>.")]
        callback_refused(body=body, remote=remote, status=401, why="no signature", errors=errors)
        raise Unauthorised(errors)
    for endpoint in ForceEndpoint.objects.filter(active=True).select_related("force"):
        try:
            secret = endpoint.secret
        except SecretUnreadable as exc:
            log.error("Hand-off callback: %s (force %s)", exc, endpoint.force.slug)
            continue
        if signature_matches(body, secret, signature):
            return endpoint
    errors = [FieldError("X-ShopWatch-Signature", "The signature does not match.")]
    callback_refused(
        body=body, remote=remote, status=401, why="the signature matches no force", errors=errors
    )
    raise Unauthorised(errors)


def callback_apply(*, body: bytes, signature: str | None, remote: str = "") -> CallbackResult:
    """Apply a force's signed callback. A repeat of a body already applied is answered and not re-applied."""
    endpoint = callback_force(body=body, signature=signature, remote=remote)
    force_id = endpoint.force_id
    try:
        data = _parse_callback(body)
    except ValidationFailed as exc:
        why = "the body is not valid: " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        callback_refused(body=body, remote=remote, status=422, why=why, errors=exc.errors, force_id=force_id)
        raise
    digest = hashlib.sha256(body).hexdigest()
    viewer = system_viewer(force_id=force_id, channel=Channel.API)
    incident = (
        Incident.objects.select_related("force", "store")
        .filter(pk=data["incident"], force_id=force_id, sent_to_police=True)
        .first()
    )
    if incident is None:
        errors = [FieldError("incident", "No incident with this id was sent to your force.")]
        callback_refused(
            body=body,
            remote=remote,
            status=404,
            why=f"incident {data['incident']} is not one sent to this force",
            errors=errors,
            force_id=force_id,
        )
        raise CallbackNotFound(errors)
    try:
        with transaction.atomic():
            receipt = CallbackReceipt.objects.create(
                force_id=endpoint.force_id, body_sha256=digest, incident=incident
            )
            result = crime_record_update(
                viewer=viewer,
                incident=incident,
                crime_reference=data["crime_reference"],
                status=data["status"],
                source="callback",
                note=data.get("note", ""),
            )
            receipt.applied = result.changed
            receipt.save(update_fields=["applied"])
    except IntegrityError:
        record = CrimeRecord.objects.get(incident=incident)
        return CallbackResult(incident.pk, False, True, record.crime_reference, record.status, [])
    except ServiceError as exc:
        refused: ServiceError = exc
        if isinstance(exc, ValidationFailed) and exc.title.startswith("The update contradicts"):
            refused = Conflict(exc.errors, title=exc.title)
        callback_refused(
            body=body,
            remote=remote,
            status=refused.status_code,
            why=f"{incident.reference}: " + "; ".join(e.message for e in exc.errors),
            errors=exc.errors,
            force_id=force_id,
            incident=incident,
        )
        if refused is exc:
            raise
        raise refused from exc
    return CallbackResult(
        incident.pk,
        result.changed,
        False,
        result.record.crime_reference,
        result.record.status,
        result.warnings,
    )

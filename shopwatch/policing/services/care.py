"""Victim care: referring hurt or distressed staff to victim support services."""

from __future__ import annotations

from django.db import transaction

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction
from shopwatch.reporting.models import Incident

from ..models import VictimReferral
from .common import require_investigator


@transaction.atomic
def victim_referral_create(
    *,
    viewer: Viewer,
    incident: Incident,
    staff_name: str,
    service: str,
    consent: bool,
    contact: str = "",
    note: str = "",
) -> VictimReferral:
    """Record a referral; it needs the person's agreement. PCC-commissioned services are free either way."""
    require_investigator(viewer)
    errors = []
    if not staff_name.strip():
        errors.append(FieldError("staff_name", "Enter the name of the member of staff."))
    if not service.strip():
        errors.append(FieldError("service", "Enter the service."))
    if not consent:
        errors.append(FieldError("consent", "A referral needs their agreement."))
    for name, value, limit in (
        ("staff_name", staff_name, 200),
        ("service", service, 200),
        ("contact", contact, 200),
        ("note", note, 1000),
    ):
        clean_text(name, value, limit, errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    referral = VictimReferral.objects.create(
        incident=incident,
        staff_name=staff_name.strip(),
        service=service.strip(),
        contact=contact.strip(),
        consent=True,
        note=note.strip(),
        referred_by_id=viewer.user_id,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="victim_referral",
        object_id=referral.pk,
        store_id=incident.store_id,
        organisation_id=incident.force_id,
        summary=f"{incident.reference}: staff referred to {referral.service}",
    )
    return referral

"""Reading evidence, always through the one entitlement mechanism."""

from __future__ import annotations

from django.db.models import QuerySet

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, get_visible, scope
from shopwatch.core.models import AuditAction
from shopwatch.reporting.models import Incident

from .models import EvidenceFile


def evidence_queryset(viewer: Viewer) -> QuerySet[EvidenceFile]:
    return scope(EvidenceFile.objects.select_related("incident"), viewer)


def evidence_for_incident(*, viewer: Viewer, incident: Incident) -> list[EvidenceFile]:
    """The photos on an incident that the viewer may see, oldest first (listing them is not a view)."""
    return list(evidence_queryset(viewer).filter(incident=incident).order_by("created_at", "id"))


def evidence_get(*, viewer: Viewer, evidence_id: object, purpose: str = "content") -> EvidenceFile:
    """One evidence file for viewing; the same 404 for missing and forbidden. The view is audited."""
    evidence = get_visible(evidence_queryset(viewer), viewer, pk=evidence_id)
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="evidence",
        object_id=evidence.pk,
        store_id=evidence.incident.store_id,
        summary=f"{evidence.incident.reference}: {purpose} of {evidence.original_filename}",
        detail={"purpose": purpose, "incident": evidence.incident_id},
    )
    return evidence

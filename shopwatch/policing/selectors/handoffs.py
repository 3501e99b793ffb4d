"""Hand-offs to the force's records system: deliveries, the dead-letter list and the endpoint."""

from __future__ import annotations

from django.db.models import (
    QuerySet,
)
from django.http import Http404

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, owned_scope
from shopwatch.core.models import AuditAction
from shopwatch.reporting.models import Incident

from ..models import (
    Delivery,
    DeliveryStatus,
    ForceEndpoint,
)
from ..services.common import force_incident, force_incidents


def deliveries(*, viewer: Viewer, status: str | None = None, limit: int = 200) -> list[Delivery]:
    """The force's hand-offs, newest first; ``status='dead'`` is the dead-letter list."""
    qs = owned_scope(Delivery.objects.all(), viewer).filter(incident__in=force_incidents(viewer).values("pk"))
    qs = qs.select_related("incident")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-created_at", "-id")[:limit])


def delivery_get(*, viewer: Viewer, delivery_id: int) -> Delivery:
    incident_ids = force_incidents(viewer).values("pk")
    qs = owned_scope(Delivery.objects.all(), viewer).filter(incident__in=incident_ids)
    return get_visible_delivery(qs, delivery_id)


def get_visible_delivery(qs: QuerySet[Delivery], delivery_id: int) -> Delivery:

    try:
        return qs.select_related("incident").get(pk=delivery_id)
    except Delivery.DoesNotExist as exc:
        raise Http404("Not found.") from exc


def deliveries_for_incident(incident: Incident) -> list[Delivery]:
    return list(Delivery.objects.filter(incident=incident).order_by("-created_at", "-id"))


def endpoint_for_force(force_id: int | None) -> ForceEndpoint | None:
    return ForceEndpoint.objects.filter(force_id=force_id).first() if force_id else None


def dead_letter_count(viewer: Viewer) -> int:
    return owned_scope(Delivery.objects.filter(status=DeliveryStatus.DEAD), viewer).count()


def handoff_export(*, viewer: Viewer, incident_id: int) -> tuple[Incident, str]:
    """The hand-off payload as a file, for forces without an endpoint. Audited as an export."""
    from ..services.handoff import payload_for

    incident = force_incident(viewer, incident_id)
    body = payload_for(incident, viewer=viewer)
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference}: hand-off payload exported",
    )
    return incident, body

"""Reading incidents, always scoped to the viewer by the one entitlement mechanism."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, get_visible, scope
from shopwatch.core.models import AuditAction, OrganisationKind, Store
from shopwatch.core.pagination import keyset_page, newest
from shopwatch.core.selectors import (
    audit_trail_for_partnership as audit_trail_for_partnership,  # moved to core; kept importable here
)

from .models import GoodsLine, Incident, IncidentOffender, IncidentVehicle


@dataclass
class IncidentFilters:
    store: int | None = None
    type: str | None = None
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    updated_since: dt.datetime | None = None
    status: str | None = None
    priority: str | None = None
    q: str | None = None


def incident_queryset(viewer: Viewer) -> QuerySet[Incident]:
    return scope(Incident.objects.select_related("store", "store__retailer"), viewer)


def incident_filter(qs: QuerySet[Incident], f: IncidentFilters) -> QuerySet[Incident]:
    if f.store is not None:
        qs = qs.filter(store_id=f.store)
    if f.type:
        qs = qs.filter(type=f.type)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.date_from:
        qs = qs.filter(occurred_at__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(occurred_at__lt=f.date_to)
    if f.updated_since:
        qs = qs.filter(updated_at__gte=f.updated_since)
    if f.q:
        qs = qs.filter(Q(reference__iexact=f.q.strip()) | Q(description__icontains=f.q.strip()))
    return qs


# Incident lists are newest first (occurred_at, then id).
INCIDENT_ORDER = newest("occurred_at")


def incident_page(
    *, viewer: Viewer, filters: IncidentFilters, after: list[object] | None, limit: int
) -> tuple[list[Incident], list[object] | None]:
    """One page of incidents, newest first, with the keyset cursor for the next page.

    Records the listing in the audit trail (one row naming the incidents shown).
    """
    rows, cursor = keyset_page(
        incident_filter(incident_queryset(viewer), filters), INCIDENT_ORDER, after, limit
    )
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="incident",
            summary=f"Listed {len(rows)} incidents",
            detail={"ids": [r.pk for r in rows]},
        )
    return rows, cursor


def incident_detail(*, viewer: Viewer, incident_id: int, audit: bool = True) -> Incident:
    """One incident with everything hanging off it; a 404 if missing or not the viewer's to see."""
    qs = incident_queryset(viewer).prefetch_related(
        Prefetch("goods", queryset=GoodsLine.objects.order_by("id")),
        Prefetch("offenders", queryset=IncidentOffender.objects.select_related("person").order_by("id")),
        Prefetch("vehicles", queryset=IncidentVehicle.objects.select_related("vehicle").order_by("id")),
        "status_changes",
    )
    incident = get_visible(qs, viewer, pk=incident_id)
    if audit:
        audit_record(
            viewer=viewer,
            action=AuditAction.VIEW,
            object_type="incident",
            object_id=incident.pk,
            store_id=incident.store_id,
            summary=incident.reference,
        )
    return incident


def incident_export_rows(*, viewer: Viewer, filters: IncidentFilters, limit: int = 50_000) -> list[Incident]:
    """Incidents for a CSV export; the export is audited with the ids it contained."""
    rows = list(incident_filter(incident_queryset(viewer), filters).order_by("-occurred_at", "-id")[:limit])
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="incident",
        summary=f"Exported {len(rows)} incidents",
        detail={"ids": [r.pk for r in rows]},
    )
    return rows


def incidents_naming_person(*, viewer: Viewer, person_id: int, limit: int = 50) -> list[Incident]:
    """The newest incidents the viewer may see that name a person as an offender (a person's page)."""
    qs = incident_queryset(viewer).filter(offenders__person_id=person_id).distinct().order_by("-occurred_at")
    return list(qs[:limit])


@dataclass(frozen=True)
class EstateStore:
    store: Store
    last_week: int
    last_month: int
    latest_id: int | None
    latest_reference: str | None
    latest_at: dt.datetime | None


def estate_stores(*, viewer: Viewer, now: dt.datetime | None = None) -> list[EstateStore]:
    """A retail security manager's stores, busiest first: incidents in the last 7 and 30 days and the latest
    one, counting only incidents the viewer may see (the entitlement mechanism, as on every list)."""
    now = now or timezone.now()
    stores = Store.objects.filter(
        retailer_id__in=viewer.org_wide_ids, retailer__kind=OrganisationKind.RETAILER
    ).order_by("name", "id")
    visible = scope(Incident.objects.all(), viewer).filter(store__in=stores)

    def counts(days: int) -> dict[int, int]:
        rows = (
            visible.filter(occurred_at__gte=now - dt.timedelta(days=days))
            .order_by()
            .values("store_id")
            .annotate(n=Count("id"))
            .values_list("store_id", "n")
        )
        return dict(rows)

    week, month = counts(7), counts(30)
    latest = visible.filter(store=OuterRef("pk")).order_by("-occurred_at", "-id")
    rows = stores.annotate(
        latest_id=Subquery(latest.values("pk")[:1]),
        latest_reference=Subquery(latest.values("reference")[:1]),
        latest_at=Subquery(latest.values("occurred_at")[:1]),
    )
    found = [
        EstateStore(
            store=s,
            last_week=week.get(s.pk, 0),
            last_month=month.get(s.pk, 0),
            latest_id=s.latest_id,
            latest_reference=s.latest_reference,
            latest_at=s.latest_at,
        )
        for s in rows
    ]
    return sorted(found, key=lambda e: (-e.last_month, -e.last_week, e.store.name))

"""Reads of the forensic-marking registry, scoped to the viewer.

Kits and marked property belong to the business that holds them. They are seen by the staff of the store
they were issued to, the retailer's organisation-wide staff, the managers of the store's partnerships,
police of the store's force area (national units everywhere) and platform admins. A code look-up answers
through the same filter, so a store only ever finds its own codes, and PCC offices and navigators find none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, scope
from shopwatch.core.models import AuditAction, Store
from shopwatch.reporting.models import Incident

from .models import Deployment, MarkedProperty, MarkingKit, SignageDisplay, normalise_code, split_code


def _held_q(viewer: Viewer, *, store: str, owner: str, unplaced_to_police: bool = False) -> Q:
    """Records held by a business at a store, as the viewer may see them."""
    if viewer.user_id is None:
        return Q(pk__in=[])
    if viewer.platform_admin or viewer.national_police:
        return Q(pk__isnull=False)
    q = Q(pk__in=[])
    if viewer.store_ids:
        q |= Q(**{f"{store}__in": viewer.store_ids})
    if viewer.org_wide_ids:
        q |= Q(**{f"{owner}__in": viewer.org_wide_ids})
    if viewer.managed_partnership_ids:
        q |= Q(
            **{
                f"{store}__in": Store.partnerships.through.objects.filter(
                    organisation_id__in=viewer.managed_partnership_ids
                ).values("store_id")
            }
        )
    if viewer.police_force_ids:
        q |= Q(**{f"{store}__force_id__in": viewer.police_force_ids})
        if unplaced_to_police:
            q |= Q(**{f"{store}__isnull": True})
    return q


def kit_queryset(viewer: Viewer) -> QuerySet[MarkingKit]:
    return MarkingKit.objects.filter(_held_q(viewer, store="store", owner="owner_org"))


def property_queryset(viewer: Viewer) -> QuerySet[MarkedProperty]:
    return MarkedProperty.objects.filter(
        _held_q(viewer, store="store", owner="owner_org", unplaced_to_police=True)
    )


def kit_list(*, viewer: Viewer, limit: int = 500) -> list[MarkingKit]:
    rows = list(
        kit_queryset(viewer)
        .select_related("store", "owner_org")
        .order_by("store__name", "code", "id")[:limit]
    )
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="marking_kit",
            summary=f"Listed {len(rows)} marking kits",
            detail={"ids": [k.pk for k in rows]},
        )
    return rows


def kit_get(*, viewer: Viewer, kit_id: int) -> MarkingKit:
    try:
        return kit_queryset(viewer).select_related("store", "owner_org").get(pk=kit_id)
    except (MarkingKit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc


def property_list(*, viewer: Viewer, limit: int = 500) -> list[MarkedProperty]:
    return list(
        property_queryset(viewer)
        .select_related("store", "owner_org")
        .order_by("-registered_on", "-id")[:limit]
    )


@dataclass(frozen=True)
class Lookup:
    code: str
    kit: MarkingKit | None
    marked: MarkedProperty | None
    deployments: list[Deployment]
    # Incidents the kit was deployed in that the viewer may open; the rest are counted only.
    visible_incident_ids: frozenset[int]

    @property
    def holder(self) -> str:
        item = self.kit or self.marked
        assert item is not None
        return item.owner_org.name


def code_lookup(*, viewer: Viewer, code: str) -> Lookup:
    """What a code read under UV belongs to (a kit, a code in a kit's range, or marked property), the
    incidents the kit was deployed in and who holds it. 404 for an unknown code or one the viewer may not
    see. Audited, also on a miss, so look-ups can be reviewed."""
    norm = normalise_code(code)
    prefix, number = split_code(norm)
    match = Q(code=norm)
    if number is not None:
        match |= Q(code_prefix=prefix, code_from__lte=number, code_to__gte=number)
    kit = kit_queryset(viewer).filter(match).select_related("store", "owner_org").first() if norm else None
    prop = None
    if kit is None and norm:
        prop = property_queryset(viewer).filter(code=norm).select_related("store", "owner_org").first()
    found = kit or prop
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="marking_kit" if kit else "marked_property" if prop else "marking_code",
        object_id=found.pk if found else "",
        store_id=found.store_id if found else None,
        summary=f"Looked up marking code {norm[:60]}" + ("" if found else " (no match)"),
        detail={"code": norm[:60], "found": found is not None},
    )
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    deployments: list[Deployment] = []
    visible: frozenset[int] = frozenset()
    if kit is not None:
        deployments = list(kit.deployments.select_related("incident").order_by("-deployed_at", "-id"))
        ids = [d.incident_id for d in deployments]
        visible = frozenset(scope(Incident.objects.filter(pk__in=ids), viewer).values_list("pk", flat=True))
    return Lookup(norm, kit, prop, deployments, visible)


def signage_list(*, viewer: Viewer, partnership_id: int | None = None) -> list[SignageDisplay]:
    """Stores displaying marking signage in the partnerships the viewer takes part in (or one of them)."""
    partnerships = set(viewer.partnership_ids) | set(viewer.managed_partnership_ids)
    qs = SignageDisplay.objects.select_related("store")
    if not (viewer.platform_admin or viewer.is_police):
        if partnership_id is not None and partnership_id not in partnerships:
            return []
        qs = qs.filter(store__partnerships__in=[partnership_id] if partnership_id else partnerships)
    elif viewer.police_force_ids and not viewer.national_police and not viewer.platform_admin:
        qs = qs.filter(store__force_id__in=viewer.police_force_ids)
        if partnership_id is not None:
            qs = qs.filter(store__partnerships=partnership_id)
    elif partnership_id is not None:
        qs = qs.filter(store__partnerships=partnership_id)
    return list(qs.distinct().order_by("store__name", "id"))

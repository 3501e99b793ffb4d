"""Reads of the forensic-marking registry, scoped to the viewer.

Kits and marked property belong to the business that holds them. They are seen by the staff of the store
they were issued to, the retailer's organisation-wide staff, the managers of the store's partnerships,
police of the store's force area (national units everywhere) and platform admins. A code look-up answers
through the same filter, so a store only ever finds its own codes, and PCC offices and navigators find none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, scope
from shopwatch.core.models import AuditAction, AuditEvent, Role, Store
from shopwatch.reporting.models import Incident

from .models import Deployment, MarkedProperty, MarkingKit, SignageDisplay, normalise_code, split_code

LOOKUP_SUMMARY = "Looked up marking code"


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
        summary=f"{LOOKUP_SUMMARY} {norm[:60]}" + ("" if found else " (no match)"),
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
    """Stores displaying marking signage in the partnerships the viewer takes part in (or one of them); a
    PCC office's, in its force area (signage is on show to the public, so the store is named)."""
    partnerships = set(viewer.partnership_ids) | set(viewer.managed_partnership_ids)
    qs = SignageDisplay.objects.select_related("store")
    if viewer.is_pcc and not (viewer.platform_admin or viewer.is_police or partnerships):
        if viewer.force_id is None:
            return []
        qs = qs.filter(store__force_id=viewer.force_id)
        if partnership_id is not None:
            qs = qs.filter(store__partnerships=partnership_id)
        return list(qs.distinct().order_by("store__name", "id"))
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


SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class MarkingMonth:
    month: dt.date
    kits_issued: int | None  # None: fewer than 5 on an aggregates-only (PCC) view
    deployments: int | None
    lookups: int | None  # code look-ups that found a kit or property held in the area


def _area_stores(viewer: Viewer, partnership_id: int | None) -> tuple[QuerySet[Store], bool]:
    """The stores whose marking use the viewer may see in aggregate, and whether small counts are hidden."""
    if viewer.platform_admin:
        stores = Store.objects.all()
        return (stores.filter(partnerships=partnership_id) if partnership_id else stores), False
    if partnership_id is not None and partnership_id in viewer.managed_partnership_ids:
        return Store.objects.filter(partnerships=partnership_id), False
    if Role.PCC_SCRUTINY in viewer.roles and viewer.force_id is not None and partnership_id is None:
        return Store.objects.filter(force_id=viewer.force_id), True
    raise Http404(NOT_FOUND_MESSAGE)


def use_by_month(
    *, viewer: Viewer, partnership_id: int | None = None, months: int = 12, today: dt.date | None = None
) -> list[MarkingMonth]:
    """Kits issued, deployments logged and codes looked up, a month, for a partnership's stores (its
    managers) or a PCC office's force area (aggregates only, counts under 5 hidden). Audited."""
    stores, suppress = _area_stores(viewer, partnership_id)
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=timezone.get_current_timezone())
    store_ids = stores.values("pk")

    def by_month(qs: QuerySet[Any], field: str) -> dict[dt.date, int]:
        rows = qs.annotate(m=TruncMonth(field)).values("m").annotate(n=Count("id")).order_by()
        out: dict[dt.date, int] = {}
        for r in rows:
            m = r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]
            out[m] = out.get(m, 0) + r["n"]
        return out

    kits = by_month(MarkingKit.objects.filter(store__in=store_ids, issued_on__gte=first), "issued_on")
    used = by_month(
        Deployment.objects.filter(kit__store__in=store_ids, deployed_at__gte=since), "deployed_at"
    )
    looked = by_month(
        AuditEvent.objects.filter(
            object_type__in=["marking_kit", "marked_property"],
            action=AuditAction.VIEW,
            summary__startswith=LOOKUP_SUMMARY,
            store__in=store_ids,
            at__gte=since,
        ),
        "at",
    )

    def shown(n: int) -> int | None:
        return None if suppress and 0 < n < SUPPRESS_BELOW else n

    out = []
    month = first
    while month <= today:
        out.append(
            MarkingMonth(
                month, shown(kits.get(month, 0)), shown(used.get(month, 0)), shown(looked.get(month, 0))
            )
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="marking_use",
        summary=f"Viewed marking use by month over {months} months",
        detail={"partnership": partnership_id},
    )
    return out


RECENT_INCIDENT_DAYS = 90


def recent_incidents_of_kit_store(*, viewer: Viewer, kit: MarkingKit) -> QuerySet[Incident]:
    """The kit's store's incidents of the last 90 days that the viewer may see, newest first: those a use of
    the kit can be logged against."""
    since = timezone.now() - dt.timedelta(days=RECENT_INCIDENT_DAYS)
    return scope(Incident.objects.filter(store_id=kit.store_id, occurred_at__gte=since), viewer).order_by(
        "-occurred_at", "-id"
    )

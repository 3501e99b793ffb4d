"""What policing adds to two first pages (shopwatch.core.firstpages): the police's open requests to a retail
security manager's stores, and failed hand-offs to forces on a platform admin's health page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from shopwatch.core.entitlements import Viewer, owned_scope, scope
from shopwatch.core.models import OrganisationKind
from shopwatch.reporting.models import Incident

from ..models import Delivery, DeliveryStatus, TriageState


def estate_requests(*, viewer: Viewer, limit: int = 20) -> list[Incident]:
    """Incidents at the viewer's retail estate on which the police are waiting for the store (CCTV or more
    information), oldest request first, among the incidents the viewer may see."""
    return list(
        scope(Incident.objects.select_related("store", "force", "triage"), viewer)
        .filter(
            store__retailer_id__in=viewer.org_wide_ids,
            store__retailer__kind=OrganisationKind.RETAILER,
            triage__state=TriageState.INFO_REQUESTED,
        )
        .order_by("triage__updated_at", "id")[:limit]
    )


@dataclass(frozen=True)
class ForceHandoffs:
    force: str
    dead: int
    retrying: int
    last_error: str
    last_failed_at: dt.datetime | None


def handoff_failures(*, viewer: Viewer) -> list[ForceHandoffs]:
    """Per force, hand-offs that were dead-lettered and those still being retried after a failed attempt, with
    the latest error: for a platform admin (police see their own force's list on the hand-off page)."""
    if not viewer.platform_admin:
        return []
    failing = owned_scope(Delivery.objects.all(), viewer).filter(
        Q(status=DeliveryStatus.DEAD) | Q(status=DeliveryStatus.PENDING, attempts__gt=0)
    )
    rows = (
        failing.order_by()
        .values("force_id", "force__name")
        .annotate(
            dead=Count("id", filter=Q(status=DeliveryStatus.DEAD)),
            retrying=Count("id", filter=Q(status=DeliveryStatus.PENDING)),
            last_failed_at=Max("last_attempt_at"),
        )
        .order_by("force__name")
    )
    out = []
    for row in rows:
        latest = (
            failing.filter(force_id=row["force_id"])
            .exclude(last_error="")
            .order_by("-last_attempt_at", "-id")
            .first()
        )
        out.append(
            ForceHandoffs(
                force=row["force__name"],
                dead=row["dead"],
                retrying=row["retrying"],
                last_error=latest.last_error if latest else "",
                last_failed_at=row["last_failed_at"],
            )
        )
    return out

"""Refused hand-off callbacks: the force's record of callbacks that were turned away."""

from __future__ import annotations

from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditEvent

from ..models import (
    CALLBACK_REFUSED,
)


def refused_callbacks(*, viewer: Viewer, limit: int = 50) -> list[AuditEvent]:
    """Callbacks refused for the caller's force(s), newest first, from the audit trail."""
    return list(
        AuditEvent.objects.filter(
            object_type=CALLBACK_REFUSED, organisation_id__in=viewer.police_force_ids
        ).order_by("-at", "-id")[:limit]
    )

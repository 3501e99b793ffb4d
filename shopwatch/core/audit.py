"""Writing the audit trail. Called by services and selectors inside their own transaction."""

from __future__ import annotations

from typing import Any

from .entitlements import Viewer
from .models import AuditAction, AuditEvent


def audit_build(
    *,
    viewer: Viewer,
    action: AuditAction | str,
    object_type: str,
    object_id: int | str = "",
    store_id: int | None = None,
    partnership_id: int | None = None,
    summary: str = "",
    detail: dict[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """An unsaved audit row: who (the viewer's user, API key, organisation, channel) did what to what.

    ``audit_record`` saves one; services that write many records save theirs with bulk_create.
    """
    return AuditEvent(
        actor_id=viewer.user_id,
        api_key_id=viewer.api_key_id,
        organisation_id=organisation_id if organisation_id is not None else viewer.primary_org_id,
        channel=viewer.channel,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        store_id=store_id,
        partnership_id=partnership_id,
        summary=summary[:300],
        detail=detail or {},
    )


def audit_record(
    *,
    viewer: Viewer,
    action: AuditAction | str,
    object_type: str,
    object_id: int | str = "",
    store_id: int | None = None,
    partnership_id: int | None = None,
    summary: str = "",
    detail: dict[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Write one audit row (built by ``audit_build``) in the caller's transaction."""
    event = audit_build(
        viewer=viewer,
        action=action,
        object_type=object_type,
        object_id=object_id,
        store_id=store_id,
        partnership_id=partnership_id,
        summary=summary,
        detail=detail,
        organisation_id=organisation_id,
    )
    event.save(force_insert=True)
    return event

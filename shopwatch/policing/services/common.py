"""What every policing service shares: an incident in the caller's force, role checks, the system actor."""

from __future__ import annotations

from django.db.models import QuerySet

from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer, get_visible, scope
from shopwatch.core.models import Channel
from shopwatch.reporting.models import Incident


def force_incidents(viewer: Viewer) -> QuerySet[Incident]:
    """Incidents sent to the caller's own force(s), through the one entitlement mechanism."""
    qs = Incident.objects.filter(sent_to_police=True, force_id__in=viewer.police_force_ids)
    return scope(qs, viewer)


def force_incident(viewer: Viewer, incident_id: int) -> Incident:
    """One incident in the caller's force queue; the same 404 for missing, another force's, or not sent."""
    return get_visible(
        Incident.objects.select_related("store", "store__retailer", "force").filter(
            sent_to_police=True, force_id__in=viewer.police_force_ids
        ),
        viewer,
        pk=incident_id,
    )


def require_investigator(viewer: Viewer, incident: Incident | None = None) -> None:
    """Police investigators and supervisors (of the incident's force): the capability table's ``triage``."""
    require(viewer, Action.TRIAGE, incident)


def require_supervisor(viewer: Viewer, incident: Incident | None = None) -> None:
    """A police supervisor (of the incident's force): the capability table's ``supervise``."""
    require(viewer, Action.SUPERVISE, incident)


def system_viewer(*, force_id: int | None, channel: str = Channel.SYSTEM) -> Viewer:
    """The actor for work no person did at that moment (a force's system calling back, the retry worker)."""
    return Viewer(user_id=None, primary_org_id=force_id, channel=channel)

"""The store's side of an incident with the police: contact details shared for victim contact, and the
police's requests to the store with what the store sent in answer (files with hashes and custody)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import Http404

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer
from shopwatch.core.models import AuditAction, Store
from shopwatch.evidence.models import CustodyEntry, EvidenceFile
from shopwatch.evidence.selectors import evidence_for_incident
from shopwatch.reporting.models import Incident

from ..models import StoreContact, TriageAction, TriageEvent
from ..services.store_side import REQUESTS, open_request


def store_contact_for_police(*, viewer: Viewer, incident: Incident) -> StoreContact | None:
    """What the incident's store shares for victim contact, for the police page of an incident the viewer
    already sees. Reading a named contact is a view of personal data, so it is audited."""
    contact = StoreContact.objects.filter(store_id=incident.store_id).first()
    if contact is not None and contact.names_a_person:
        audit_record(
            viewer=viewer,
            action=AuditAction.VIEW,
            object_type="store_contact",
            object_id=contact.pk,
            store_id=incident.store_id,
            summary=f"{incident.reference}: victim contact at {incident.store.name} ({contact.contact_role})",
            detail={"incident": incident.pk},
        )
    return contact


def store_contact_to_edit(*, viewer: Viewer, store_id: int) -> tuple[Store, StoreContact | None]:
    """The store and what it shares, for someone who decides it (its manager, the retailer's security
    manager); the same 404 for anyone else and for a missing store."""
    store = Store.objects.filter(pk=store_id).select_related("retailer", "force").first()
    if store is None or not can(viewer, Action.GRANT_STORE_ROLE, store):
        raise Http404(NOT_FOUND_MESSAGE)
    return store, StoreContact.objects.filter(store=store).first()


@dataclass
class StoreRequest:
    """A request as the store sees it: who asked (the force, never the officer), what, when, answered?"""

    force_name: str
    cctv: bool
    text: str
    asked_at: dt.datetime
    open: bool
    answered_at: dt.datetime | None
    files_since: int


def request_for_store(*, viewer: Viewer, incident: Incident) -> StoreRequest | None:
    """The police's latest request to the store about an incident the viewer sees (the page decides that),
    and whether it was answered. Only what the police meant the store to read."""
    events = list(
        TriageEvent.objects.filter(
            incident=incident, action__in=(*REQUESTS, TriageAction.STORE_ANSWERED)
        ).order_by("at", "id")
    )
    asked = [e for e in events if e.action in REQUESTS]
    if not asked:
        return None
    last = asked[-1]
    answer = next((e for e in events if e.action == TriageAction.STORE_ANSWERED and e.at >= last.at), None)
    still_open = open_request(incident) is not None
    files = EvidenceFile.objects.filter(
        incident=incident, created_at__gte=last.at, deleted_at__isnull=True
    ).count()
    return StoreRequest(
        force_name=incident.force.name,
        cctv=last.action == TriageAction.REQUEST_CCTV,
        text=last.note,
        asked_at=last.at,
        open=still_open,
        answered_at=answer.at if answer else None,
        files_since=files,
    )


@dataclass
class ReceivedFile:
    evidence: EvidenceFile
    custody: list[CustodyEntry] = field(default_factory=list)


@dataclass
class PoliceRequestView:
    event: TriageEvent
    answer: TriageEvent | None
    files: list[ReceivedFile]


def requests_for_police(*, viewer: Viewer, incident: Incident) -> list[PoliceRequestView]:
    """Each request to the store, its answer, and the files that arrived after it (until the next request),
    each with its SHA-256 and its chain of custody, among the files the viewer may see."""
    events = list(
        TriageEvent.objects.filter(incident=incident, action__in=(*REQUESTS, TriageAction.STORE_ANSWERED))
        .select_related("actor")
        .order_by("at", "id")
    )
    asked = [e for e in events if e.action in REQUESTS]
    if not asked:
        return []
    files = [
        f for f in evidence_for_incident(viewer=viewer, incident=incident) if f.incident_id == incident.pk
    ]
    custody: dict[int, list[CustodyEntry]] = {}
    for entry in CustodyEntry.objects.filter(evidence__in=files).order_by("evidence_id", "seq"):
        custody.setdefault(entry.evidence_id, []).append(entry)
    out = []
    for i, request in enumerate(asked):
        until = asked[i + 1].at if i + 1 < len(asked) else None
        answer = next(
            (
                e
                for e in events
                if e.action == TriageAction.STORE_ANSWERED
                and e.at >= request.at
                and (until is None or e.at < until)
            ),
            None,
        )
        received = [
            ReceivedFile(f, custody.get(f.pk, []))
            for f in files
            if f.created_at >= request.at and (until is None or f.created_at < until)
        ]
        out.append(PoliceRequestView(request, answer, received))
    return out

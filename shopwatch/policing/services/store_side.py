"""What the store does towards the police: share contact details for victim contact, answer a request."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer, get_visible
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Store
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from shopwatch.reporting.selectors import incident_queryset
from shopwatch.uploads.models import UploadLink
from shopwatch.uploads.services.uploaders import link_viewer

from ..models import StoreContact, Triage, TriageAction, TriageEvent, TriageState
from .notifications import notification_create_for_officer

PHONE = re.compile(r"^\+?[0-9 ()-]{6,25}$")
REQUESTS = (TriageAction.REQUEST_CCTV, TriageAction.REQUEST_INFO)


def _text(errors: list[FieldError], field: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        errors.append(FieldError(field, "Must not contain NUL characters."))
    elif len(value) > limit:
        errors.append(FieldError(field, f"Must be at most {limit:,} characters."))
    return value


@transaction.atomic
def store_contact_set(
    *,
    viewer: Viewer,
    store: Store,
    phone: str,
    contact_name: str,
    contact_role: str,
    contact_phone: str,
    opening_hours: str,
) -> StoreContact:
    """Set what the store shares with its force for victim contact. The people who decide the store's roles
    (its manager, the retailer's security manager) decide whom it names: the capability table's
    ``grant_store_role``. Leaving every field empty shares nothing."""
    require(viewer, Action.GRANT_STORE_ROLE, store)
    errors: list[FieldError] = []
    phone = _text(errors, "phone", phone, 30)
    contact_name = _text(errors, "contact_name", contact_name, 200)
    contact_role = _text(errors, "contact_role", contact_role, 100)
    contact_phone = _text(errors, "contact_phone", contact_phone, 30)
    opening_hours = _text(errors, "opening_hours", opening_hours, 300)
    for field, value in (("phone", phone), ("contact_phone", contact_phone)):
        if value and not PHONE.match(value):
            errors.append(FieldError(field, "Enter a phone number: digits, spaces and + ( ) - only."))
    if contact_name and not contact_role:
        errors.append(FieldError("contact_role", "Say the contact's role, for example Store manager."))
    if (contact_role or contact_phone) and not contact_name:
        errors.append(FieldError("contact_name", "Give the contact's name, or leave the contact empty."))
    if errors:
        raise ValidationFailed(errors)
    contact, _ = StoreContact.objects.select_for_update().get_or_create(store=store)
    contact.phone, contact.contact_name, contact.contact_role = phone, contact_name, contact_role
    contact.contact_phone, contact.opening_hours = contact_phone, opening_hours
    contact.updated_by_id, contact.updated_at = viewer.user_id, timezone.now()
    contact.save(
        update_fields=[
            "phone",
            "contact_name",
            "contact_role",
            "contact_phone",
            "opening_hours",
            "updated_by",
            "updated_at",
        ]
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="store_contact",
        object_id=contact.pk,
        store_id=store.pk,
        summary=f"{store.name}: contact details shared with police"
        + (f" name {contact_role}" if contact_name else ""),
    )
    return contact


def open_request(incident: Incident) -> TriageEvent | None:
    """The police's latest request to the store, if the store has not answered it yet and the incident is
    still waiting for the store."""
    triage = Triage.objects.filter(incident=incident).first()
    if triage is None or triage.state != TriageState.INFO_REQUESTED:
        return None
    events = list(
        TriageEvent.objects.filter(incident=incident, action__in=(*REQUESTS, TriageAction.STORE_ANSWERED))
        .select_related("actor")
        .order_by("at", "id")
    )
    if not events or events[-1].action == TriageAction.STORE_ANSWERED:
        return None
    return events[-1]


@transaction.atomic
def request_answer(*, viewer: Viewer, incident_id: int, note: str = "") -> TriageEvent:
    """The store tells the police it has answered their request: the files sent since it (footage for a
    CCTV request, required), and a note. The incident leaves "waiting for the store" and the officer who
    asked is told."""
    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    require(viewer, Action.UPLOAD_EVIDENCE, incident)
    Triage.objects.select_for_update().filter(incident=incident).first()
    request = open_request(incident)
    if request is None:
        raise Conflict(
            [FieldError("request", "The police have no open request for this incident.")],
            title="Nothing to answer",
        )
    errors: list[FieldError] = []
    note = _text(errors, "note", note, 1000)
    files = list(
        EvidenceFile.objects.filter(
            incident=incident, created_at__gte=request.at, deleted_at__isnull=True
        ).order_by("created_at", "id")
    )
    if request.action == TriageAction.REQUEST_CCTV and not files:
        errors.append(FieldError("files", "Send the footage first, then tell the police it is sent."))
    elif not files and not note:
        errors.append(FieldError("note", "Send files or write what the police asked for."))
    if errors:
        raise ValidationFailed(errors)
    return _record_answer(viewer=viewer, incident=incident, request=request, files=files, note=note)


def _record_answer(
    *,
    viewer: Viewer,
    incident: Incident,
    request: TriageEvent,
    files: list[EvidenceFile],
    note: str,
    via: str = "",
    upload_link: int | None = None,
) -> TriageEvent:
    """The store's answer to ``request``: the trail's event, the incident back with the police, the audit row,
    and the officer who asked told. Runs in the caller's transaction."""
    now = timezone.now()
    sent = f"{len(files)} file{'s' if len(files) != 1 else ''} sent" if files else "No files"
    if via:
        sent = f"{sent} {via}"
    event = TriageEvent.objects.create(
        incident=incident,
        action=TriageAction.STORE_ANSWERED,
        actor_id=viewer.user_id,
        note=(f"{sent}" + (f": {note}" if note else ""))[:1000],
        at=now,
    )
    triage = Triage.objects.get(incident=incident)
    triage.state = TriageState.ASSIGNED if triage.assigned_to_id else TriageState.NEW
    triage.updated_at = now
    triage.save(update_fields=["state", "updated_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        organisation_id=incident.force_id,
        summary=f"{incident.reference}: the store answered the police's request ({sent.lower()})",
        detail={
            "triage": TriageAction.STORE_ANSWERED,
            "request": request.pk,
            "evidence": [f.pk for f in files],
            **({"upload_link": upload_link, "requested_by": request.actor_id} if upload_link else {}),
        },
    )
    if request.actor is not None:
        listing = "\n".join(f"{f.original_filename} (SHA-256 {f.sha256})" for f in files)
        notification_create_for_officer(
            user=request.actor,
            incident=incident,
            subject=f"{incident.reference}: the store answered your request",
            body=f"{incident.store.name} answered: {sent.lower()}."
            + (f"\n{listing}" if listing else "")
            + (f"\nTheir note: {note}" if note else ""),
        )
    return event


@transaction.atomic
def request_answer_by_upload_link(*, link: UploadLink, evidence: EvidenceFile) -> TriageEvent | None:
    """A file sent through an investigator's upload link (store staff without an account) has arrived on
    the link's incident: if the police's open request to the store is for CCTV, the footage answers it, as
    "Tell the police it is sent" does on the store's page. The actor is the link's holder (nobody signed
    in; the audit row names the link). Returns None, changing nothing, when no CCTV request is open."""
    viewer = link_viewer(link)
    incident = Incident.objects.select_related("store").get(pk=link.incident_id)
    Triage.objects.select_for_update().filter(incident=incident).first()
    request = open_request(incident)
    if request is None or request.action != TriageAction.REQUEST_CCTV:
        return None
    files = list(
        EvidenceFile.objects.filter(
            incident=incident, created_at__gte=request.at, deleted_at__isnull=True
        ).order_by("created_at", "id")
    )
    if evidence not in files:  # the same file was already held (here before the request, or linked from
        # another incident, stored once): it is what the store sent, so it is listed
        files.append(evidence)
    return _record_answer(
        viewer=viewer,
        incident=incident,
        request=request,
        files=files,
        note="",
        via="through the upload link",
        upload_link=link.pk,
    )

"""Evidence API: an incident's evidence, and a file's original bytes exactly as received."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from shopwatch.core.api import CursorParam, Id, decode_cursor, encode_cursor, next_url, viewer_of

from . import bundle, linking, people, retention, selectors, serving, sharing

router = Router(tags=["evidence"])


class EvidenceOut(Schema):
    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    created_at: dt.datetime


class EvidenceListOut(Schema):
    items: list[EvidenceOut]
    next: str | None


class EvidenceQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    cursor: CursorParam | None = None
    limit: int = Field(100, ge=1, le=500)


def evidence_body(e: Any) -> dict[str, Any]:
    return {
        "id": e.pk,
        "filename": e.original_filename,
        "size": e.size,
        "sha256": e.sha256,
        "content_type": e.content_type,
        "created_at": e.created_at,
    }


@router.get("/incidents/{incident_id}/evidence", response=EvidenceListOut, summary="An incident's evidence")
def list_evidence(request: HttpRequest, incident_id: Id, q: Query[EvidenceQuery]) -> Any:
    """Oldest first; follow `next` until it is null. 404 for an incident you may not see."""
    with transaction.atomic():
        rows, cursor = selectors.evidence_page(
            viewer=viewer_of(request),
            incident_id=incident_id,
            after=decode_cursor(q.cursor, "int"),
            limit=q.limit,
        )
    return {
        "items": [evidence_body(r) for r in rows],
        "next": next_url(request, encode_cursor(cursor) if cursor else None),
    }


@router.get("/evidence/{evidence_id}/content", summary="A file's original bytes", response={200: None})
def evidence_content(request: HttpRequest, evidence_id: Id) -> Any:
    """The bytes exactly as received, streamed; the download is audited and enters the chain of custody.

    `Range: bytes=first-last` (one range) gets 206 with that part, for resuming a download; a range that
    does not start at byte 0 continues a download already recorded. `ETag` is the file's SHA-256 (use it in
    `If-Range`), and `Digest` the SHA-256 of the whole file."""
    with transaction.atomic():
        evidence = selectors.evidence_get(
            viewer=viewer_of(request),
            evidence_id=evidence_id,
            purpose="download",
            record_if=lambda e: not serving.is_continuation(request, e),
        )
    response = serving.send(request, evidence, attachment=True, cache_control="private, no-store")
    response["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(evidence.sha256)).decode()
    return response


class ShareIn(Schema):
    model_config = ConfigDict(extra="forbid")

    force: str = ""
    user: str = ""
    days: int | None = None
    reason: str = ""


class ShareOut(Schema):
    id: int
    evidence: int
    force: str | None
    user: str | None
    expires_at: dt.datetime


@router.post("/evidence/{evidence_id}/shares", response={201: ShareOut}, summary="Share a file with police")
def share_evidence(request: HttpRequest, evidence_id: Id, payload: ShareIn) -> Any:
    """Share one file with a named police force (`force`: its slug) or investigator (`user`: their email)
    for `days` days (1 to 365). The share enters the file's chain of custody."""
    share = sharing.evidence_share_create(
        viewer=viewer_of(request),
        evidence_id=evidence_id,
        force=payload.force,
        user=payload.user,
        days=payload.days,
        reason=payload.reason,
    )
    return Status(
        201,
        ShareOut(
            id=share.pk,
            evidence=share.evidence_id,
            force=share.with_force.slug if share.with_force else None,
            user=share.with_user.email if share.with_user else None,
            expires_at=share.expires_at,
        ),
    )


class LinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    incident: str = Field("", description="The other incident's reference (or id)")
    reason: str = ""


class LinkOut(Schema):
    evidence: int
    incident: int
    reference: str
    via: str
    reason: str
    linked_at: dt.datetime


class UnlinkQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = ""


@router.post(
    "/evidence/{evidence_id}/links", response={201: LinkOut}, summary="Link a file to another incident"
)
def link_evidence(request: HttpRequest, evidence_id: Id, payload: LinkIn) -> Any:
    """The file shows another incident too (one CCTV export covering several): it is stored once, listed on
    both, seen by either incident's audience and kept for the longer retention period. Police of the
    incident's force, or people who report for its store; a `reason` is required. Enters the chain of
    custody."""
    link = linking.evidence_link(
        viewer=viewer_of(request), evidence_id=evidence_id, incident=payload.incident, reason=payload.reason
    )
    return Status(
        201,
        LinkOut(
            evidence=link.evidence_id,
            incident=link.incident_id,
            reference=link.incident.reference,
            via=link.via,
            reason=link.reason,
            linked_at=link.linked_at,
        ),
    )


@router.delete(
    "/evidence/{evidence_id}/links/{incident_id}",
    response={204: None},
    summary="Take a file off an incident it was linked to",
)
def unlink_evidence(request: HttpRequest, evidence_id: Id, incident_id: Id, q: Query[UnlinkQuery]) -> Any:
    """`reason` (query) is required. The file's first incident stays; enters the chain of custody."""
    linking.evidence_unlink(
        viewer=viewer_of(request), evidence_id=evidence_id, incident_id=incident_id, reason=q.reason
    )
    return Status(204, None)


class PersonPairIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person: int | None = None
    note: str = ""


class PersonPairOut(Schema):
    evidence: int
    person: int
    note: str
    added_at: dt.datetime


@router.post(
    "/evidence/{evidence_id}/persons",
    response={201: PersonPairOut},
    summary="Record that a file shows a person",
)
def pair_person(request: HttpRequest, evidence_id: Id, payload: PersonPairIn) -> Any:
    """Both the file and the person must be visible to the caller; police, and people who report for one of
    the file's incidents' stores. Grants no one access to either. Enters the chain of custody (person id)."""
    pairing = people.evidence_person_add(
        viewer=viewer_of(request), evidence_id=evidence_id, person_id=payload.person, note=payload.note
    )
    return Status(
        201,
        PersonPairOut(
            evidence=pairing.evidence_id,
            person=pairing.person_id,
            note=pairing.note,
            added_at=pairing.added_at,
        ),
    )


@router.delete(
    "/evidence/{evidence_id}/persons/{person_id}", response={204: None}, summary="The file does not show them"
)
def unpair_person(request: HttpRequest, evidence_id: Id, person_id: Id, q: Query[UnlinkQuery]) -> Any:
    """`reason` (query) is required."""
    people.evidence_person_remove(
        viewer=viewer_of(request), evidence_id=evidence_id, person_id=person_id, reason=q.reason
    )
    return Status(204, None)


class PersonEvidenceOut(Schema):
    items: list[EvidenceOut]


@router.get("/persons/{person_id}/evidence", response=PersonEvidenceOut, summary="Files that show a person")
def person_evidence(request: HttpRequest, person_id: Id) -> Any:
    """Newest first; only files the caller may see. 404 for a person the caller may not see."""
    with transaction.atomic():
        _, files = selectors.evidence_for_person(viewer=viewer_of(request), person_id=person_id)
    return {"items": [evidence_body(f) for f in files]}


@router.get(
    "/incidents/{incident_id}/evidence/bundle",
    summary="Export an evidence bundle (police)",
    response={200: None},
)
def export_bundle(request: HttpRequest, incident_id: Id) -> Any:
    """A ZIP: the original files, manifest.csv/json with each SHA-256, custody.json, and exhibit-list.pdf
    (MG12-shaped: exhibit reference, description, who produced it, when, hash). Police investigators only."""
    made = bundle.evidence_bundle_export(viewer=viewer_of(request), incident_id=incident_id)
    response = FileResponse(
        made.fileobj, content_type="application/zip", as_attachment=True, filename=made.filename
    )
    response["Content-Length"] = str(made.size)
    response["Cache-Control"] = "private, no-store"
    return response


class RetentionPolicyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    category: str
    days: int | None = None


class RetentionItemOut(Schema):
    evidence: int
    incident: str
    filename: str
    category: str
    days: int | None
    due_at: dt.datetime | None
    reason: str


class RetentionListOut(Schema):
    items: list[RetentionItemOut]
    next: str | None


def _retention_items(decisions: list[Any]) -> dict[str, Any]:
    return {
        "items": [
            {
                "evidence": d.evidence.pk,
                "incident": d.evidence.incident.reference,
                "filename": d.evidence.original_filename,
                "category": d.category,
                "days": d.days,
                "due_at": d.due_at,
                "reason": d.reason,
            }
            for d in decisions
        ],
        "next": None,
    }


@router.put(
    "/partnerships/{slug}/evidence-retention",
    response={200: RetentionPolicyIn},
    summary="Set a retention period (partnership managers)",
)
def set_retention(request: HttpRequest, slug: str, payload: RetentionPolicyIn) -> Any:
    """How many days after a case's last event this partnership keeps evidence of a category
    (no_crime, crime_recorded, charged, court_case). Where a store is in several partnerships, the
    longest period wins."""
    policy = retention.retention_policy_set(
        viewer=viewer_of(request), partnership=slug, category=payload.category, days=payload.days
    )
    return {"category": policy.category, "days": policy.days}


@router.get(
    "/partnerships/{slug}/evidence-retention/due",
    response=RetentionListOut,
    summary="Preview evidence due for deletion (partnership managers)",
)
def preview_retention(request: HttpRequest, slug: str) -> Any:
    """Exactly what the scheduled deletion (`shopwatch evidence retention --apply`) would delete now."""
    return _retention_items(retention.retention_preview(viewer=viewer_of(request), partnership=slug))

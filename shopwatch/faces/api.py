"""The face search API: search a still, read a search, record a reviewer's decision."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status

from shopwatch.core.api import Id, viewer_of

from . import selectors, services
from .models import FaceSearch
from .schemas import FaceDecisionIn, FaceSearchIn, FaceSearchOut

router = Router(tags=["faces"])


def _source(candidate: Any) -> str:
    if candidate.encoding is None:
        return "removed"
    return "gallery photo" if candidate.encoding.photo_id else "earlier evidence"


def search_body(search: FaceSearch) -> dict[str, Any]:
    decisions = selectors.decisions_of(search)
    return {
        "id": search.pk,
        "evidence": search.probe_id,
        "purpose": search.purpose,
        "searched_by": search.searched_by.full_name,
        "created_at": search.created_at,
        "faces_found": search.faces_found,
        "gallery_size": search.gallery_size,
        "threshold": search.threshold,
        "status": search.status,
        "second_review_required": search.second_review_required,
        "outcome": services.search_outcome(decisions, search),
        "candidates": [
            {
                "id": c.pk,
                "rank": c.rank,
                "kind": "candidate",
                "person": {"id": c.person_id, "name": c.person.display_name},
                "similarity": c.similarity,
                "source": _source(c),
            }
            for c in selectors.candidates_of(search)
        ],
        "decisions": [
            {
                "reviewer": d.reviewer.full_name,
                "outcome": d.outcome,
                "candidate": d.candidate_id,
                "reason": d.reason,
                "decided_at": d.decided_at,
            }
            for d in decisions
        ],
    }


@router.post("/faces/searches", response={201: FaceSearchOut}, summary="Search the faces in a still")
def create_search(request: HttpRequest, payload: FaceSearchIn) -> Any:
    """Police investigators and supervisors (and partnership managers where the partnership has recorded a
    DPIA and switched face search on) search an evidence still against the faces they may see: gallery
    photos and earlier evidence of adults with repeat or serious offending, never anyone flagged vulnerable.
    Up to `top_k` people at or above the calibrated threshold come back as candidates for a named reviewer,
    never as identifications; nothing of the still's faces is kept. Audited, also on each candidate."""
    viewer = viewer_of(request)
    search = services.face_search_run(
        viewer=viewer, evidence_id=payload.evidence, purpose=payload.purpose, top_k=payload.top_k
    )
    with transaction.atomic():
        search = selectors.search_get(viewer=viewer, search_id=search.pk, audit=False)
    return Status(201, search_body(search))


@router.get("/faces/searches/{search_id}", response={200: FaceSearchOut}, summary="One face search")
def get_search(request: HttpRequest, search_id: Id) -> Any:
    """A search you may open (yours, or your force's or partnership's); 404, as for a missing one,
    otherwise. Audited."""
    with transaction.atomic():
        search = selectors.search_get(viewer=viewer_of(request), search_id=search_id)
    return search_body(search)


@router.post(
    "/faces/searches/{search_id}/decisions", response={200: FaceSearchOut}, summary="Record a decision"
)
def decide_search(request: HttpRequest, search_id: Id, payload: FaceDecisionIn) -> Any:
    """A named reviewer's decision with a reason: `match` (naming the `candidate`), `no_match` or
    `inconclusive`. Where the partnership requires it, a second, different reviewer decides too. A match
    only proposes a link. Audited, also on each candidate."""
    viewer = viewer_of(request)
    services.face_decision_record(
        viewer=viewer,
        search_id=search_id,
        outcome=payload.outcome,
        reason=payload.reason,
        candidate_id=payload.candidate,
    )
    with transaction.atomic():
        search = selectors.search_get(viewer=viewer, search_id=search_id, audit=False)
    return search_body(search)

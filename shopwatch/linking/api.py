"""The links API: proposals between person records the caller may see in full, hit/no-hit answers for
those they may see one side of, and decisions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router

from shopwatch.core.api import Id, ProblemError, ProblemOut, decode_cursor, encode_cursor, next_url, viewer_of
from shopwatch.core.errors import FieldError

from . import selectors
from .models import LinkProposal
from .schemas import DecisionIn, HitListOut, LinkListOut, LinkOut, LinkQuery
from .services.decisions import proposal_decide

router = Router(tags=["links"])

ERRORS: dict[int, Any] = {400: ProblemOut, 401: ProblemOut, 404: ProblemOut, 422: ProblemOut, 429: ProblemOut}


def _person(person: Any, identities: dict[int, int]) -> dict[str, Any]:
    holder = person.partnership if person.partnership_id else person.owner_org
    return {
        "id": person.pk,
        "name": person.display_name,
        "date_of_birth": person.date_of_birth,
        "holder": holder.slug,
        "identity": identities.get(person.pk),
    }


def link_body(p: LinkProposal, identities: dict[int, int]) -> dict[str, Any]:
    return {
        "id": p.pk,
        "probability": p.probability,
        "match_weight": p.match_weight,
        "status": p.status,
        "explanation": p.explanation,
        "model_version": p.model_version,
        "person_a": _person(p.person_a, identities),
        "person_b": _person(p.person_b, identities),
        "decided_by": p.decided_by.full_name if p.decided_by_id and p.decided_by else None,
        "decided_at": p.decided_at,
        "reason": p.reason,
    }


def _after_id(cursor: str | None) -> int | None:
    after = decode_cursor(cursor)
    if not after:
        return None
    try:
        return int(str(after[0]))
    except ValueError as exc:
        raise ProblemError(
            400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")]
        ) from exc


@router.get("/links", response={200: LinkListOut, **ERRORS}, summary="List link proposals you may see")
def list_links(request: HttpRequest, filters: Query[LinkQuery]) -> Any:
    """Proposals between two person records that you may both see, oldest first; follow `next` until it is
    null. Each has its match probability and an explanation (one entry per compared field with its match
    weight). Every listing is audited."""
    viewer = viewer_of(request)
    with transaction.atomic():
        rows = selectors.proposal_list(
            viewer=viewer, status=filters.status, after_id=_after_id(filters.cursor), limit=filters.limit
        )
    identities = selectors.identity_of(sorted({i for p in rows for i in (p.person_a_id, p.person_b_id)}))
    cursor = encode_cursor([rows[-1].pk]) if len(rows) == filters.limit else None
    return {"items": [link_body(p, identities) for p in rows], "next": next_url(request, cursor)}


@router.get("/links/hits", response={200: HitListOut, **ERRORS}, summary="Possible matches held elsewhere")
def list_hits(request: HttpRequest) -> Any:
    """For each of your records with a possible match in a record you may not see: the organisation to
    contact. Nothing of the other record is given."""
    with transaction.atomic():
        hits = selectors.link_hits(viewer=viewer_of(request))
    return {
        "items": [
            {
                "person": h.person_id,
                "possible_match": True,
                "contact": {"slug": h.contact_slug, "name": h.contact_name},
            }
            for h in hits
        ],
        "next": None,
    }


@router.get("/links/{link_id}", response={200: LinkOut, **ERRORS}, summary="One link proposal")
def get_link(request: HttpRequest, link_id: Id) -> Any:
    """A proposal whose two persons you may both see; 404, as for a missing one, otherwise. Audited."""
    with transaction.atomic():
        proposal = selectors.proposal_detail(viewer=viewer_of(request), proposal_id=link_id)
    identities = selectors.identity_of([proposal.person_a_id, proposal.person_b_id])
    return link_body(proposal, identities)


@router.post(
    "/links/{link_id}/decision",
    response={200: LinkOut, 403: ProblemOut, 409: ProblemOut, **ERRORS},
    summary="Accept or reject a link proposal",
)
def decide_link(request: HttpRequest, link_id: Id, payload: DecisionIn) -> Any:
    """A named investigator or analyst accepts or rejects a proposal, with a reason. Accepting joins the two
    persons' resolved identity; rejecting an accepted link splits it again; a rejected pair is never
    proposed again. Audited."""
    viewer = viewer_of(request)
    proposal_decide(viewer=viewer, proposal_id=link_id, decision=payload.decision, reason=payload.reason)
    with transaction.atomic():
        proposal = selectors.proposal_detail(viewer=viewer, proposal_id=link_id)
    return link_body(proposal, selectors.identity_of([proposal.person_a_id, proposal.person_b_id]))

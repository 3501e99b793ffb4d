"""Deciding proposals, and the resolved identities that accepted links form.

Only a named investigator or analyst who may see both persons decides, and always with a reason. An accepted
link joins the two persons' identities; rejecting a link that was accepted splits the identity again.
Nothing in a person's own record changes.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer
from shopwatch.core.errors import Conflict, FieldError, NotEntitled, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction

from ..access import both_visible_q, may_decide
from ..models import Identity, IdentityMember, LinkProposal, ProposalStatus

MAX_REASON = 1000
DECISIONS = {"accept": ProposalStatus.ACCEPTED, "reject": ProposalStatus.REJECTED}


def identities_rebuild() -> int:
    """Make the resolved identities the connected components of the accepted links. Returns how many.

    An identity keeps its id while most of its members stay together, so links to it stay meaningful.
    """
    graph: nx.Graph[int] = nx.Graph()
    graph.add_edges_from(
        LinkProposal.objects.filter(status=ProposalStatus.ACCEPTED).values_list("person_a_id", "person_b_id")
    )
    current = dict(IdentityMember.objects.values_list("person_id", "identity_id"))
    components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))
    claimed: set[int] = set()
    wanted: dict[int, int] = {}
    for component in components:
        votes = Counter(current[p] for p in component if p in current and current[p] not in claimed)
        identity_id = votes.most_common(1)[0][0] if votes else Identity.objects.create().pk
        claimed.add(identity_id)
        wanted.update(dict.fromkeys(component, identity_id))
    moved = [p for p, i in current.items() if wanted.get(p) != i]
    IdentityMember.objects.filter(person_id__in=moved).delete()
    IdentityMember.objects.bulk_create(
        [IdentityMember(person_id=p, identity_id=i) for p, i in wanted.items() if current.get(p) != i]
    )
    Identity.objects.exclude(pk__in=claimed).delete()
    return len(components)


@transaction.atomic
def proposal_decide(*, viewer: Viewer, proposal_id: int, decision: str, reason: str) -> LinkProposal:
    """Accept or reject a proposal, saying why. A proposal the viewer may not see in full reads as missing."""
    proposal = LinkProposal.objects.select_for_update().filter(both_visible_q(viewer), pk=proposal_id).first()
    if proposal is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if not may_decide(viewer):
        raise NotEntitled([FieldError("decision", "Only a named investigator or analyst decides links.")])
    errors: list[FieldError] = []
    status = DECISIONS.get(decision)
    if status is None:
        errors.append(FieldError("decision", "Choose 'accept' or 'reject'."))
    reason = clean_text("reason", reason, MAX_REASON, errors)
    if errors:
        raise ValidationFailed(errors)
    assert status is not None
    if proposal.status == status or proposal.status == ProposalStatus.REJECTED:
        raise Conflict([FieldError("decision", f"Already {proposal.get_status_display().lower()}.")])
    was = proposal.status
    proposal.status = status
    proposal.decided_by_id = viewer.user_id
    proposal.decided_at = timezone.now()
    proposal.reason = reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    if status == ProposalStatus.ACCEPTED or was == ProposalStatus.ACCEPTED:
        identities_rebuild()
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="link_proposal",
        object_id=proposal.pk,
        summary=f"Link of persons {proposal.person_a_id} and {proposal.person_b_id} {status}",
        detail={
            "from": was,
            "to": status,
            "reason": reason,
            "persons": [proposal.person_a_id, proposal.person_b_id],
            "probability": proposal.probability,
        },
    )
    return proposal

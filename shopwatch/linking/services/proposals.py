"""Link proposals from outside the linkage model: a person's reason to think two records are one person (a
help-identify suggestion a partnership manager has confirmed, a face match a reviewer has confirmed).

The proposal goes into the analysts' and investigators' normal review queue, recording who proposed it, why
and from what; it joins nothing until a named investigator or analyst accepts it (``proposal_decide``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction
from shopwatch.intelligence.identified import IdentificationConfirmed
from shopwatch.subjects.models import Person

from ..models import LinkProposal, ProposalSource, ProposalStatus

MAX_REASON = 1000


@transaction.atomic
def proposal_propose(
    *, viewer: Viewer, person_a_id: int, person_b_id: int, reason: str, source: str
) -> LinkProposal:
    """Propose that two person records the viewer may both see are the same person, saying why. A pair
    already proposed by the model gains the reason (and keeps its score); an accepted pair is answered as it
    is; a rejected pair is refused (a decided proposal is never rewritten)."""
    errors: list[FieldError] = []
    reason = clean_text("reason", reason, MAX_REASON, errors)
    if source not in ProposalSource.values or source == ProposalSource.MODEL:
        errors.append(FieldError("source", "Say where the proposal comes from."))
    if person_a_id == person_b_id:
        errors.append(FieldError("person_b", "Choose two different records."))
    seen = set(
        scope(Person.objects.all(), viewer)
        .filter(pk__in=[person_a_id, person_b_id])
        .values_list("pk", flat=True)
    )
    if person_a_id not in seen:
        errors.append(FieldError("person_a", "No such person that you may see."))
    if person_b_id not in seen:
        errors.append(FieldError("person_b", "No such person that you may see."))
    if errors:
        raise ValidationFailed(errors)
    a, b = sorted((person_a_id, person_b_id))
    now = timezone.now()
    proposal = LinkProposal.objects.select_for_update().filter(person_a_id=a, person_b_id=b).first()
    if proposal is not None and proposal.status == ProposalStatus.REJECTED:
        raise Conflict(
            [
                FieldError(
                    "person_b",
                    f"An investigator or analyst rejected this link on {proposal.decided_at:%d %B %Y}; "
                    "contact them with what you know.",
                )
            ]
        )
    if proposal is None:
        proposal = LinkProposal.objects.create(
            person_a_id=a,
            person_b_id=b,
            # Not a model score: a person says these are one person. First in the queue to review.
            probability=1.0,
            match_weight=0.0,
            explanation=[],
            model_version="",
            created_at=now,
            scored_at=now,
            source=source,
            proposed_by_id=viewer.user_id,
            proposed_reason=reason,
        )
    elif proposal.status == ProposalStatus.PROPOSED:
        proposal.source, proposal.proposed_by_id, proposal.proposed_reason = source, viewer.user_id, reason
        proposal.save(update_fields=["source", "proposed_by", "proposed_reason"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="link_proposal",
        object_id=proposal.pk,
        summary=f"Link of persons {a} and {b} proposed ({source})",
        detail={"persons": [a, b], "source": source, "reason": reason, "status": proposal.status},
    )
    return proposal


def identification_confirmed_propose(event: IdentificationConfirmed) -> LinkProposal:
    """The identification-confirmed handler (``intelligence/identified.py``): the ID-sought record and the
    person the confirmed suggestion names become a proposal for review."""
    return proposal_propose(
        viewer=event.viewer,
        person_a_id=event.person_id,
        person_b_id=event.suggested_person_id,
        reason=f"Help-identify suggestion confirmed: {event.reason}"[:MAX_REASON],
        source=ProposalSource.HELP_IDENTIFY,
    )

"""Reading link proposals, always through the one entitlement mechanism.

A proposal shows in full only to a viewer who may see both of its persons (the subjects' own filter).
A viewer who may see one of them learns only that a possible match exists and which organisation holds the
other record (a hit/no-hit answer). Store staff, PCC scrutiny and navigators see none of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer
from shopwatch.core.models import AuditAction, Organisation
from shopwatch.subjects.models import Person

from .access import both_visible_q, is_analyst, may_link, visible_persons
from .models import IdentityMember, LinkProposal, ProposalStatus


def proposal_queryset(viewer: Viewer) -> QuerySet[LinkProposal]:
    """Proposals the viewer may see in full."""
    if not may_link(viewer):
        return LinkProposal.objects.none()
    return LinkProposal.objects.filter(both_visible_q(viewer)).select_related(
        "person_a__owner_org",
        "person_b__owner_org",
        "person_a__partnership",
        "person_b__partnership",
        "decided_by",
        "proposed_by",
    )


def proposal_list(
    *,
    viewer: Viewer,
    status: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
    order: str = "id",
) -> list[LinkProposal]:
    """One page of proposals the viewer may see in full; the listing is audited with the persons shown."""
    qs = proposal_queryset(viewer)
    if status:
        qs = qs.filter(status=status)
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    qs = qs.order_by("-probability", "id") if order == "probability" else qs.order_by("id")
    rows = list(qs[:limit])
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="link_proposal",
            summary=f"Listed {len(rows)} link proposals",
            detail={"ids": [p.pk for p in rows], "persons": sorted(_persons(rows))},
        )
    return rows


def _persons(rows: list[LinkProposal]) -> set[int]:
    return {p.person_a_id for p in rows} | {p.person_b_id for p in rows}


def proposal_detail(*, viewer: Viewer, proposal_id: int) -> LinkProposal:
    proposal = proposal_queryset(viewer).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404(NOT_FOUND_MESSAGE)
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="link_proposal",
        object_id=proposal.pk,
        summary=f"{proposal.person_a.display_name} / {proposal.person_b.display_name}",
        detail={"persons": [proposal.person_a_id, proposal.person_b_id]},
    )
    return proposal


def proposal_export_rows(*, viewer: Viewer, status: str | None = None) -> list[LinkProposal]:
    qs = proposal_queryset(viewer).order_by("id")
    if status:
        qs = qs.filter(status=status)
    rows = list(qs[:50_000])
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="link_proposal",
        summary=f"Exported {len(rows)} link proposals",
        detail={"ids": [p.pk for p in rows], "persons": sorted(_persons(rows))},
    )
    return rows


@dataclass(frozen=True)
class Hit:
    """A possible match for a record the viewer holds, kept by someone they must contact to learn more."""

    person_id: int
    person_name: str
    contact_id: int
    contact_name: str
    contact_slug: str


def link_hits(*, viewer: Viewer) -> list[Hit]:
    """Hit/no-hit: for each person the viewer may see with a live proposal to a person they may not, the
    organisation holding the other record. Nothing of the other record is read out."""
    if not may_link(viewer):
        return []
    seen = visible_persons(viewer).values("pk")
    live = ~Q(status=ProposalStatus.REJECTED)
    one_side = LinkProposal.objects.filter(live).filter(
        (Q(person_a__in=seen) & ~Q(person_b__in=seen)) | (Q(person_b__in=seen) & ~Q(person_a__in=seen))
    )
    visible = set(
        visible_persons(viewer)
        .filter(Q(pk__in=one_side.values("person_a")) | Q(pk__in=one_side.values("person_b")))
        .values_list("pk", flat=True)
    )
    pairs: set[tuple[int, int]] = set()
    for a, b in one_side.values_list("person_a_id", "person_b_id"):
        own, other = (a, b) if a in visible else (b, a)
        pairs.add((own, other))
    holders: dict[int, int] = {}
    for pk, partnership_id, owner_id in Person.objects.filter(pk__in={o for _, o in pairs}).values_list(
        "pk", "partnership_id", "owner_org_id"
    ):
        holders[pk] = partnership_id or owner_id
    orgs = Organisation.objects.in_bulk(set(holders.values()))
    people = Person.objects.in_bulk({own for own, _ in pairs})
    hits = sorted(
        {
            Hit(
                person_id=own,
                person_name=people[own].display_name,
                contact_id=holders[other],
                contact_name=orgs[holders[other]].name,
                contact_slug=orgs[holders[other]].slug,
            )
            for own, other in pairs
            if other in holders and own in people
        },
        key=lambda h: (h.person_id, h.contact_name),
    )
    if hits:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="link_hit",
            summary=f"{len(hits)} possible matches held elsewhere",
            detail={"persons": sorted({h.person_id for h in hits})},
        )
    return hits


@dataclass(frozen=True)
class Precision:
    """How the model's proposals fared with the people who decided them (decisions are the labels)."""

    accepted: int
    rejected: int
    pending: int
    bands: list[tuple[str, int, int]]  # (probability band, accepted, rejected)

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def precision(self) -> float | None:
        return self.accepted / self.decided if self.decided else None


BANDS = [(0.5, 0.8, "0.50–0.80"), (0.8, 0.95, "0.80–0.95"), (0.95, 0.99, "0.95–0.99"), (0.99, 1.01, "0.99–1")]


def decision_precision(*, viewer: Viewer) -> Precision | None:
    """For analysts: accepted against rejected among the proposals they may see in full; None otherwise."""
    if not is_analyst(viewer):
        return None
    qs = proposal_queryset(viewer)
    counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    bands = []
    for low, high, label in BANDS:
        band = qs.filter(probability__gte=low, probability__lt=high)
        bands.append(
            (
                label,
                band.filter(status=ProposalStatus.ACCEPTED).count(),
                band.filter(status=ProposalStatus.REJECTED).count(),
            )
        )
    return Precision(
        accepted=counts.get(ProposalStatus.ACCEPTED, 0),
        rejected=counts.get(ProposalStatus.REJECTED, 0),
        pending=counts.get(ProposalStatus.PROPOSED, 0),
        bands=bands,
    )


def identity_of(person_ids: list[int]) -> dict[int, int]:
    """The resolved identity of each person that has one."""
    return dict(
        IdentityMember.objects.filter(person_id__in=person_ids).values_list("person_id", "identity_id")
    )


@dataclass(frozen=True)
class Common:
    """What else two persons share in the incidents the viewer may see: vehicles and co-offenders."""

    vehicles: list[str]
    co_offenders: list[Person]


def proposal_common(*, viewer: Viewer, proposal: LinkProposal) -> Common:
    """Vehicles seen at incidents of both persons, and people who offended with both (all as the viewer may
    see them): evidence for the decision beyond names and dates of birth."""
    from shopwatch.reporting.models import IncidentOffender, IncidentVehicle
    from shopwatch.reporting.selectors import incident_queryset

    incidents = incident_queryset(viewer).values("pk")
    sides = []
    for person_id in (proposal.person_a_id, proposal.person_b_id):
        ids = IncidentOffender.objects.filter(person_id=person_id, incident__in=incidents).values(
            "incident_id"
        )
        regs = set(
            IncidentVehicle.objects.filter(incident__in=ids).values_list("vehicle__registration", flat=True)
        )
        others = set(
            IncidentOffender.objects.filter(incident__in=ids, person__isnull=False)
            .exclude(person_id__in=[proposal.person_a_id, proposal.person_b_id])
            .values_list("person_id", flat=True)
        )
        sides.append((regs, others))
    shared_people = sides[0][1] & sides[1][1]
    people = list(visible_persons(viewer).filter(pk__in=shared_people).order_by("family_name", "given_name"))
    return Common(vehicles=sorted(sides[0][0] & sides[1][0]), co_offenders=people)

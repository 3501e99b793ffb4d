"""Linking runs, decisions, resolved identities, incremental scoring and the measure of decisions, on
Splink's fake_1000 people filed through the subjects' own service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.http import Http404

from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.core.models import AuditEvent
from shopwatch.core.schedule import JOBS, enqueue_due
from shopwatch.linking import selectors
from shopwatch.linking.models import Identity, IdentityMember, LinkProposal, LinkRun, ProposalStatus
from shopwatch.linking.services import link_run, link_score_changed, proposal_decide
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.linking.conftest import Filed, file_people
from tests.world import World

pytestmark = pytest.mark.django_db


def _clusters(filed: list[Filed]) -> dict[int, str]:
    return {f.person.pk: f.cluster for f in filed}


def _identity_sets() -> set[frozenset[int]]:
    by: dict[int, set[int]] = {}
    for person_id, identity_id in IdentityMember.objects.values_list("person_id", "identity_id"):
        by.setdefault(identity_id, set()).add(person_id)
    return {frozenset(s) for s in by.values()}


def test_a_run_proposes_the_same_people_held_by_two_partnerships_with_explanations(world: World) -> None:
    filed = file_people(world, 160)
    cluster = _clusters(filed)
    result = link_run()
    assert result.persons == 160
    proposals = list(LinkProposal.objects.all())
    assert result.proposals_new == len(proposals) > 50
    true = sum(cluster[p.person_a_id] == cluster[p.person_b_id] for p in proposals)
    assert true / len(proposals) >= 0.95
    # Records of one person held by Brighton BCRP and by Oxford BCRP (another force) are proposed.
    across = [p for p in proposals if p.person_a.partnership_id != p.person_b.partnership_id]
    assert across
    for p in proposals:
        assert 0.5 <= p.probability <= 1
        assert p.status == ProposalStatus.PROPOSED
        fields = [e["field"] for e in p.explanation]
        assert fields[0] == "prior"
        assert {"first_name", "surname", "date_of_birth"} <= set(fields)
        assert sum(e["match_weight"] for e in p.explanation) == pytest.approx(p.match_weight, abs=0.01)
    # A second run keeps the same proposals (rescored, none new).
    again = link_run()
    assert again.proposals_new == 0
    assert LinkProposal.objects.count() == len(proposals)


def test_decisions_join_and_split_identities_and_a_rejected_pair_is_never_proposed_again(
    world: World,
) -> None:
    filed = file_people(world, 160)
    cluster = _clusters(filed)
    link_run()
    # A cluster with three records makes a chain: accept two links and all three are one identity.
    by_cluster: dict[str, list[LinkProposal]] = {}
    for p in LinkProposal.objects.order_by("id"):
        if cluster[p.person_a_id] == cluster[p.person_b_id]:
            by_cluster.setdefault(cluster[p.person_a_id], []).append(p)
    chain = next(ps for ps in by_cluster.values() if len(ps) >= 3)
    investigator = world.viewer("police_sussex")
    # Sussex police see Brighton BCRP's police-level persons but not Oxford BCRP's: only same-home pairs.
    visible = selectors.proposal_queryset(investigator)
    assert visible.exists()
    assert all(p.person_a.partnership_id == p.person_b.partnership_id for p in visible)
    admin = world.viewer("admin")
    assert selectors.proposal_queryset(admin).count() == LinkProposal.objects.count()
    with pytest.raises(NotEntitled):
        proposal_decide(viewer=admin, proposal_id=chain[0].pk, decision="accept", reason="Same face")

    decider = _national(world)
    first = chain[0]
    pair = {first.person_a_id, first.person_b_id}
    second = next(p for p in chain[1:] if len({p.person_a_id, p.person_b_id} & pair) == 1)
    with pytest.raises(ValidationFailed) as missing_reason:
        proposal_decide(viewer=decider, proposal_id=first.pk, decision="accept", reason="  ")
    assert [e.field for e in missing_reason.value.errors] == ["reason"]
    proposal_decide(viewer=decider, proposal_id=first.pk, decision="accept", reason="Same custody photo")
    proposal_decide(viewer=decider, proposal_id=second.pk, decision="accept", reason="Same tattoo")
    three = {first.person_a_id, first.person_b_id, second.person_a_id, second.person_b_id}
    assert frozenset(three) in _identity_sets()
    identity = IdentityMember.objects.get(person_id=first.person_a_id).identity_id
    # The source records are untouched.
    assert (
        Person.objects.get(pk=first.person_a_id).family_name
        == filed[[f.person.pk for f in filed].index(first.person_a_id)].person.family_name
    )

    # Rejecting the first link splits the identity again; the rest keep the identity's id.
    proposal_decide(viewer=decider, proposal_id=first.pk, decision="reject", reason="Twins, per custody")
    sets = _identity_sets()
    assert frozenset(three) not in sets
    assert frozenset({second.person_a_id, second.person_b_id}) in sets
    assert Identity.objects.filter(pk=identity).exists()
    decision = AuditEvent.objects.filter(object_type="link_proposal", object_id=str(first.pk)).latest("id")
    assert decision.actor_id == decider.user_id
    assert decision.detail["reason"] == "Twins, per custody"
    assert (decision.detail["from"], decision.detail["to"]) == ("accepted", "rejected")

    # A rejected pair is never proposed again, and stays rejected through a full run.
    link_run()
    again = LinkProposal.objects.get(pk=first.pk)
    assert again.status == ProposalStatus.REJECTED
    assert LinkProposal.objects.filter(person_a=first.person_a_id, person_b=first.person_b_id).count() == 1
    with pytest.raises(Exception, match="Already rejected"):
        proposal_decide(viewer=decider, proposal_id=first.pk, decision="accept", reason="Changed my mind")

    # Precision of decisions, for analysts only.
    precision = selectors.decision_precision(viewer=decider)
    assert precision is not None
    assert (precision.accepted, precision.rejected) == (1, 1)
    assert precision.precision == 0.5
    assert selectors.decision_precision(viewer=investigator) is None


def _national(world: World) -> Viewer:
    from shopwatch.core.models import Membership, Organisation, OrganisationKind, Role, User

    opal = Organisation.objects.create(kind=OrganisationKind.NATIONAL_UNIT, slug="opal", name="Opal")
    user = User.objects.create_user("opal@example.org", "x" * 20, full_name="Opal Analyst")
    Membership.objects.create(user=user, organisation=opal, role=Role.ANALYST)
    world.users["national_analyst"] = user
    return world.viewer("national_analyst")


def test_store_and_pcc_roles_cannot_see_or_decide(world: World) -> None:
    file_people(world, 60)
    link_run()
    proposal = LinkProposal.objects.first()
    assert proposal is not None
    for name in ("reporter", "manager", "pcc", "navigator"):
        viewer = world.viewer(name)
        assert selectors.proposal_list(viewer=viewer) == []
        assert selectors.link_hits(viewer=viewer) == []
        with pytest.raises(Http404):
            proposal_decide(viewer=viewer, proposal_id=proposal.pk, decision="accept", reason="x")


def test_a_new_person_is_scored_against_everyone_by_the_every_minute_job(world: World) -> None:
    file_people(world, 120)
    link_run()
    before = LinkProposal.objects.count()
    # Nothing changed: the job does nothing.
    assert link_score_changed().persons == 0
    # Julia Taylor (fake_1000 cluster 0) is filed again by Oxford BCRP with her surname misspelt.
    julia = person_create(
        viewer=world.viewer("unconnected_partnership_manager"),
        owner_org=world.orgs["oxford-bcrp"],
        partnership=world.orgs["oxford-bcrp"],
        given_name="Julia",
        family_name="Tayler",
        date_of_birth=dt.date(2015, 10, 29),
        distribution="police",
    )
    job = next(j for j in JOBS if j.name == "linking.score_changed_persons")
    assert job.every == dt.timedelta(minutes=1)
    now = dt.datetime.now(tz=dt.UTC)
    assert [d.name for d in enqueue_due(now=now, jobs=(job,))] == [job.name]
    run = LinkRun.objects.latest("id")
    assert (run.kind, run.persons) == ("incremental", 1)
    new = LinkProposal.objects.filter(person_b=julia)
    assert new.exists()
    assert LinkProposal.objects.count() == before + new.count()
    assert all(p.person_a.given_name.startswith("Julia") for p in new)
    # Idempotent: a second pass finds nothing new.
    assert link_score_changed().persons == 0


def test_the_link_run_command(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    file_people(world, 60)
    call_command("link_run")
    out = capsys.readouterr().out
    assert "Linked 60 persons" in out
    assert LinkProposal.objects.exists()
    assert LinkRun.objects.get().kind == "full"

"""Forms that asked for internal numbers now pick records (and accept every printed reference), and a
help-identify suggestion reaches the partnership manager, who can confirm it into a link proposal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from shopwatch.core.models import TWO_FACTOR_ROLES
from shopwatch.intelligence.models import ExclusionNotice, IntelligenceReport, SubjectKind
from shopwatch.intelligence.services.galleries import gallery_add_person
from shopwatch.linking.models import LinkProposal, ProposalSource, ProposalStatus
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.core.support import sign_in_verified
from tests.world import World

BRIGHTON = "brighton-bcrp"
EXCLUSIONS = f"/intelligence/partnerships/{BRIGHTON}/exclusions/"


def _client(world: World, user: str) -> Client:
    """Signed in as the person would be: with a two-factor code where their role needs one."""
    c = Client()
    if world.viewer(user).roles & TWO_FACTOR_ROLES:
        sign_in_verified(c, world.users[user])
    else:
        c.force_login(world.users[user])
    return c


def _known(world: World, given: str, family: str, partnership: str = BRIGHTON) -> Person:
    manager = "partnership_manager" if partnership == BRIGHTON else "unconnected_partnership_manager"
    return person_create(
        viewer=world.viewer(manager),
        owner_org=world.orgs[partnership],
        partnership=world.orgs[partnership],
        given_name=given,
        family_name=family,
    )


def _exclusion(**fields: str) -> dict[str, str]:
    return {
        "form": "exclusion",
        "x-all_premises": "on",
        "x-starts_on": timezone.localdate().isoformat(),
        "x-served_how": "post",
        "x-served_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "x-served_by": "PCSO Jones",
        **fields,
    }


@pytest.mark.django_db
def test_the_exclusion_form_picks_the_person_and_accepts_references_as_printed(world: World) -> None:
    """It asked for a "record number" no page shows, and refused a reference written without dashes."""
    person = _known(world, "Kyle", "Marsh")
    incident = world.report("reporter", "nw-brighton")
    client = _client(world, "partnership_manager")
    page = client.get(EXCLUSIONS).content.decode()
    assert "record number" not in page
    assert 'data-url="/incidents/pick/people/"' in page
    written = incident.reference.lower().replace("-", "")
    answer = client.post(EXCLUSIONS, _exclusion(**{"x-person": "kyle marsh", "x-incidents": written}))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    notice = ExclusionNotice.objects.get()
    assert notice.person == person
    assert list(notice.evidence.all()) == [incident]


@pytest.mark.django_db
def test_the_exclusion_form_never_resolves_a_person_from_another_partnership(world: World) -> None:
    theirs = _known(world, "Kyle", "Marsh", partnership="oxford-bcrp")
    ref = world.report("reporter", "nw-brighton").reference
    client = _client(world, "partnership_manager")
    for fields in ({"x-person": "Kyle Marsh"}, {"x-person": "Kyle", "x-person_choice": str(theirs.pk)}):
        answer = client.post(EXCLUSIONS, _exclusion(**fields, **{"x-incidents": ref}))
        assert answer.status_code == 200
        page = answer.content.decode()
        assert "No person called" in page or "Choose a person from the list" in page
        assert f'name="x-person_choice" value="{theirs.pk}"' not in page
    assert not ExclusionNotice.objects.exists()


@pytest.mark.django_db
def test_the_exclusion_form_offers_same_named_people_as_a_choice(world: World) -> None:
    first, second = _known(world, "Sam", "Reed"), _known(world, "Sam", "Reed")
    client = _client(world, "partnership_manager")
    ref = world.report("reporter", "nw-brighton").reference
    answer = client.post(EXCLUSIONS, _exclusion(**{"x-person": "Sam Reed", "x-incidents": ref}))
    page = answer.content.decode()
    assert "More than one person fits" in page
    assert f'name="x-person_choice" value="{first.pk}"' in page
    assert f'name="x-person_choice" value="{second.pk}"' in page
    chosen = client.post(
        EXCLUSIONS,
        _exclusion(**{"x-person": "Sam Reed", "x-person_choice": str(second.pk), "x-incidents": ref}),
    )
    assert chosen.status_code == 302
    assert ExclusionNotice.objects.get().person == second


@pytest.mark.django_db
def test_intelligence_about_a_person_picks_them_by_name(world: World) -> None:
    person = _known(world, "Kyle", "Marsh")
    client = _client(world, "reporter")
    assert "record number" not in client.get("/intelligence/").content.decode()
    answer = client.post(
        "/intelligence/",
        {
            "partnership": str(world.orgs[BRIGHTON].pk),
            "kind": "person",
            "person": "Kyle Marsh",
            "text": "Selling razors outside the station",
        },
    )
    assert answer.status_code == 302
    assert IntelligenceReport.objects.get().person == person


@pytest.mark.django_db
def test_help_identify_notifies_the_manager_and_confirming_proposes_a_link(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    sought = gallery_add_person(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs[BRIGHTON],
        given_name="",
        family_name="",
        date_of_birth=None,
        description="Red cap, scar on the left cheek",
        reason="Theft of whisky",
        id_sought=True,
    )
    known = _known(world, "Dean", "Marsh")
    reporter = _client(world, "reporter")
    form = reporter.get(f"/intelligence/gallery-entries/{sought.pk}/").content.decode()
    assert "I think this is" in form
    with django_capture_on_commit_callbacks(execute=True):
        sent = reporter.post(
            f"/intelligence/gallery-entries/{sought.pk}/",
            {"suggested_person": "dean marsh", "text": "I think this is Dean Marsh, the scar"},
        )
    assert sent.status_code == 302
    report = IntelligenceReport.objects.get(kind=SubjectKind.IDENTIFICATION)
    assert report.suggested_person == known
    told = [m for m in mail.outbox if "partnership_manager@example.org" in m.to]
    assert len(told) == 1
    assert f"/intelligence/grading/{report.pk}/" in told[0].body
    assert "Dean" not in told[0].body

    manager = _client(world, "partnership_manager")
    grade = manager.get(f"/intelligence/grading/{report.pk}/").content.decode()
    assert "Confirm the identification" in grade
    confirmed = manager.post(
        f"/intelligence/grading/{report.pk}/",
        {
            "form": "confirm",
            "suggested_person": "Dean Marsh",
            "suggested_person_choice": str(known.pk),
            "confirmation_reason": "Same scar and cap; PCSO knows him",
        },
    )
    assert confirmed.status_code == 302
    report.refresh_from_db()
    assert report.confirmed_by == world.users["partnership_manager"]
    proposal = LinkProposal.objects.get()
    assert {proposal.person_a_id, proposal.person_b_id} == {sought.person_id, known.pk}
    assert proposal.status == ProposalStatus.PROPOSED
    assert proposal.source == ProposalSource.HELP_IDENTIFY
    assert proposal.proposed_by == world.users["partnership_manager"]
    assert "Same scar and cap" in proposal.proposed_reason
    again = manager.post(
        f"/intelligence/grading/{report.pk}/",
        {"form": "confirm", "suggested_person": "Dean Marsh", "confirmation_reason": "Again"},
    )
    assert again.status_code == 200  # already confirmed: no second form, nothing new
    assert LinkProposal.objects.count() == 1


@pytest.mark.django_db
def test_the_merge_offer_describes_the_held_person_without_an_internal_number(world: World) -> None:
    held = gallery_add_person(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs[BRIGHTON],
        given_name="Kyle",
        family_name="Marsh",
        date_of_birth=dt.date(1990, 5, 1),
        description="",
        reason="Repeated thefts of meat",
    ).person
    from shopwatch.reporting.services import OffenderInput

    world.report("other_store_reporter", "nw-hove", offenders=[OffenderInput(person_id=held.pk)])
    answer = _client(world, "partnership_manager").post(
        f"/intelligence/galleries/{BRIGHTON}/add/",
        {"given_name": "Kyle", "family_name": "Marsh", "reason": "Seen again"},
    )
    offer = (
        answer.content.decode().split("The partnership may already hold this person", 1)[1].split("</div>")[0]
    )
    assert "Kyle Marsh" in offer
    assert "born 1990" in offer
    assert f"last seen at {world.stores['nw-hove'].name}" in offer
    assert f"record {held.pk}" not in offer

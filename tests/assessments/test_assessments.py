"""Self-assessments: question sets are data, answers are scored with the three most useful next steps,
completion is limited to the viewer's stores, and uptake is shown in aggregate only."""

from __future__ import annotations

import pytest
from django.http import Http404

from shopwatch.assessments import selectors, services
from shopwatch.assessments.models import QuestionSet
from shopwatch.assessments.scoring import check_answers, score
from shopwatch.core.errors import NotEntitled, ValidationFailed
from tests.world import World


@pytest.fixture
def cyber(db: None) -> QuestionSet:
    services.question_sets_install()
    return QuestionSet.objects.get(slug="cyber", current=True)


def test_the_question_sets_come_from_their_data_files(cyber: QuestionSet) -> None:
    assert [a["key"] for a in cyber.areas] == ["backups", "malware", "devices", "passwords", "phishing"]
    assert {q["area"] for q in cyber.questions} == {a["key"] for a in cyber.areas}
    assert services.question_sets_install() == 0  # idempotent
    premises = QuestionSet.objects.get(slug="premises", current=True)
    assert {a["key"] for a in premises.areas} == {"lighting", "cctv", "staff_safety", "cash", "layout"}


def test_scores_and_the_three_most_useful_next_steps(cyber: QuestionSet) -> None:
    answers = {q["id"]: "yes" for q in cyber.questions}
    assert score(cyber.questions, cyber.areas, answers).score == 100
    assert score(cyber.questions, cyber.areas, answers).next_steps == []
    answers |= {
        "passwords-mfa": "no",
        "backup-separate": "partly",
        "phishing-payments": "no",
        "devices-lock": "no",
    }
    scored = score(cyber.questions, cyber.areas, answers)
    assert scored.score == round(100 * 13 / 20)
    assert scored.area_scores["passwords"] == 50
    assert scored.area_scores["backups"] == 75
    # Three "no" answers (2 points each) come before the one "partly"; the weakest area first.
    assert [s["question"] for s in scored.next_steps] == [
        "devices-lock",
        "passwords-mfa",
        "phishing-payments",
    ]
    assert all(s["advice"] for s in scored.next_steps)


def test_unanswered_and_unknown_answers_are_named(cyber: QuestionSet) -> None:
    answers = {q["id"]: "yes" for q in cyber.questions[1:]} | {"made-up": "yes", "malware-apps": "maybe"}
    fields = {e.field for e in check_answers(cyber.questions, answers)}
    assert fields == {f"answers.{cyber.questions[0]['id']}", "answers.made-up", "answers.malware-apps"}


def test_a_store_completes_an_assessment_for_its_own_store_only(world: World, cyber: QuestionSet) -> None:
    answers = {q["id"]: "partly" for q in cyber.questions}
    done = services.assessment_submit(
        viewer=world.viewer("reporter"),
        question_set_id=cyber.pk,
        store_id=world.stores["nw-brighton"].pk,
        answers=answers,
    )
    assert done.score == 50
    assert len(done.next_steps) == 3
    with pytest.raises(NotEntitled):
        services.assessment_submit(
            viewer=world.viewer("reporter"),
            question_set_id=cyber.pk,
            store_id=world.stores["corner-brighton"].pk,
            answers=answers,
        )
    with pytest.raises(ValidationFailed):
        services.assessment_submit(
            viewer=world.viewer("reporter"),
            question_set_id=cyber.pk,
            store_id=world.stores["nw-brighton"].pk,
            answers={},
        )
    assert selectors.assessment_get(viewer=world.viewer("partnership_manager"), assessment_id=done.pk) == done
    for name in ("same_partnership_reporter", "pcc", "police_sussex", "navigator"):
        with pytest.raises(Http404):
            selectors.assessment_get(viewer=world.viewer(name), assessment_id=done.pk)


def test_uptake_is_aggregate_and_suppressed_under_five(world: World, cyber: QuestionSet) -> None:
    answers = {q["id"]: "yes" for q in cyber.questions}
    services.assessment_submit(
        viewer=world.viewer("reporter"),
        question_set_id=cyber.pk,
        store_id=world.stores["nw-brighton"].pk,
        answers=answers,
    )
    rows = {u.slug: u for u in selectors.uptake(viewer=world.viewer("pcc"))}
    assert rows["cyber"].stores is None
    assert rows["cyber"].average is None
    with pytest.raises(Http404):
        selectors.uptake(viewer=world.viewer("reporter"))

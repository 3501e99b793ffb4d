"""Self-assessment uptake over time for the dashboards: completions a month and their average score, in
aggregate with counts under 5 suppressed, for a PCC office's force area and a partnership's managers."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import timezone

from shopwatch.assessments import selectors, services
from shopwatch.assessments.models import QuestionSet
from tests.world import World


@pytest.fixture
def cyber(db: None) -> QuestionSet:
    services.question_sets_install()
    return QuestionSet.objects.get(slug="cyber", current=True)


def _submit(world: World, cyber: QuestionSet, answer: str) -> int:
    done = services.assessment_submit(
        viewer=world.viewer("reporter"),
        question_set_id=cyber.pk,
        store_id=world.stores["nw-brighton"].pk,
        answers={q["id"]: answer for q in cyber.questions},
    )
    return int(done.score)


def test_uptake_by_month_is_aggregate_and_suppressed_under_five(world: World, cyber: QuestionSet) -> None:
    scores = [_submit(world, cyber, "yes") for _ in range(3)] + [_submit(world, cyber, "no")]
    month = timezone.localdate().replace(day=1)
    rows = selectors.uptake_by_month(viewer=world.viewer("pcc"))
    assert [(r.month, r.slug, r.completed, r.average) for r in rows] == [(month, "cyber", None, None)]
    scores.append(_submit(world, cyber, "no"))
    for user in ("pcc", "partnership_manager"):
        rows = selectors.uptake_by_month(viewer=world.viewer(user))
        assert [(r.month, r.completed, r.average) for r in rows] == [(month, 5, round(sum(scores) / 5))]
    # A partnership manager elsewhere manages no Brighton store: nothing to count there.
    assert selectors.uptake_by_month(viewer=world.viewer("unconnected_partnership_manager")) == []
    with pytest.raises(Http404):
        selectors.uptake_by_month(viewer=world.viewer("reporter"))

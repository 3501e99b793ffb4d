"""Linking's background work: new and changed persons scored every minute, a full run nightly."""

from __future__ import annotations

from django_tasks import task


@task()
def score_changed_persons() -> dict[str, int]:
    """Score persons created or changed since the last run against everyone (idempotent)."""
    from .services import link_score_changed

    result = link_score_changed()
    return {"persons": result.persons, "new": result.proposals_new, "updated": result.proposals_updated}


@task()
def run_full_linking() -> dict[str, int]:
    """Retrain on every person and rescore all pairs (idempotent: decided proposals stay as decided)."""
    from .services import link_run

    result = link_run()
    return {"persons": result.persons, "new": result.proposals_new, "withdrawn": result.proposals_withdrawn}

"""Scheduled work for evidence: deletion under the partnerships' retention periods."""

from __future__ import annotations

from django_tasks import task

from .retention import retention_run_all


@task()
def apply_evidence_retention() -> dict[str, int]:
    """Delete what each partnership's retention preview shows as due (bytes go, tombstones stay)."""
    return {slug: len(done) for slug, done in retention_run_all(apply=True).items()}

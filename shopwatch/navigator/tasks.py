"""Scheduled work for navigator casework: deleting closed cases past each organisation's retention."""

from __future__ import annotations

from django_tasks import task

from .services import retention_run


@task()
def apply_case_retention() -> int:
    """Daily: delete closed cases past their organisation's months-after-closure setting (audited)."""
    return retention_run()

"""Scheduled work for insights."""

from __future__ import annotations

from django_tasks import task

from .rollups import rollup_refresh


@task()
def refresh_rollups() -> dict[str, int]:
    """Bring the dashboard rollups up to date (run every minute or so; idempotent)."""
    result = rollup_refresh()
    return {"stores": result.stores, "buckets": result.buckets}

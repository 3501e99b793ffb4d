"""Scheduled work for uploads: removing abandoned partial files."""

from __future__ import annotations

from django_tasks import task

from .services.cleanup import uploads_cleanup


@task()
def cleanup_abandoned_uploads() -> dict[str, int]:
    """Delete partial files of uploads with no bytes for SHOPWATCH_UPLOAD_ABANDON_HOURS.

    Enqueued at most hourly by upload traffic, and run by ``shopwatch uploads cleanup`` (cron).
    """
    report = uploads_cleanup()
    return {"expired": report.expired, "stray_files": report.stray_files, "bytes_freed": report.bytes_freed}

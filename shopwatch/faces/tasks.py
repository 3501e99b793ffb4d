"""Background work for face search."""

from __future__ import annotations

from django_tasks import task

from .services import face_encodings_refresh


@task()
def refresh_face_encodings() -> dict[str, int]:
    """Encode newly arrived gallery photos and evidence stills of known people; delete faces whose image has
    gone. Scheduled every minute (core/schedule.py); safe to run twice."""
    return face_encodings_refresh()

"""Supervisors' views: each officer's workload and how long incidents have waited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Count,
    Q,
)
from django.utils import timezone

from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import User

from ..models import (
    TriageState,
)
from .queue import queue_queryset

AGE_BANDS: list[tuple[str, dt.timedelta | None]] = [
    ("Under 24 hours", dt.timedelta(hours=24)),
    ("1 to 3 days", dt.timedelta(days=3)),
    ("3 to 7 days", dt.timedelta(days=7)),
    ("7 to 28 days", dt.timedelta(days=28)),
    ("Over 28 days", None),
]


@dataclass
class Workload:
    officer: User | None
    open_count: int
    info_requested: int
    oldest_sent_at: dt.datetime | None


def workload(*, viewer: Viewer) -> tuple[list[Workload], list[tuple[str, int]]]:
    """Open incidents per officer (and unassigned), and how long the open queue has been waiting."""
    from ..services.common import require_supervisor

    require_supervisor(viewer)
    qs = queue_queryset(viewer).order_by()
    per = (
        qs.values("triage__assigned_to")
        .annotate(n=Count("id"), info=Count("id", filter=Q(triage__state=TriageState.INFO_REQUESTED)))
        .order_by()
    )
    oldest: dict[int | None, dt.datetime] = {}
    for row in qs.values("triage__assigned_to", "sent_at"):  # type: ignore[misc]
        key = row["triage__assigned_to"]
        if key not in oldest or row["sent_at"] < oldest[key]:
            oldest[key] = row["sent_at"]
    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=[r["triage__assigned_to"] for r in per if r["triage__assigned_to"]]
        )
    }
    loads = [
        Workload(
            users.get(r["triage__assigned_to"]) if r["triage__assigned_to"] else None,
            r["n"],
            r["info"],
            oldest.get(r["triage__assigned_to"]),
        )
        for r in per
    ]
    loads.sort(key=lambda w: (w.officer is not None, -(w.open_count)))
    now = timezone.now()
    bands = [0] * len(AGE_BANDS)
    for sent in (row["sent_at"] for row in qs.values("sent_at")):  # type: ignore[misc]
        age = now - sent
        for i, (_, limit) in enumerate(AGE_BANDS):
            if limit is None or age < limit:
                bands[i] += 1
                break
    return loads, [(label, bands[i]) for i, (label, _) in enumerate(AGE_BANDS)]

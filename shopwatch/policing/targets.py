"""How soon the police should respond to a report of each priority, and what counts as the response.

The Retail Crime Action Plan (NPCC, October 2023) commits forces to attend where violence was used, where
staff or security detained an offender, or where evidence can only be secured in person (our P1, "attend
now"), and to follow every reasonable line of enquiry for the rest. ShopWatch turns that into one target per
priority, measured from when the report reached the force:

- P1: officers attend the store within 1 hour (recorded attendance; a rejection also ends the wait);
- P2: the team responds to the store within 24 hours (attendance, a request to the store, accept or reject);
- P3: within 3 days; P4: within 7 days.

An incident still waiting past its target is *overdue*: flagged on the triage queue, counted, filterable, and
shown on the officer's and the team's cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shopwatch.reporting.models import Priority

from .models import TriageAction


@dataclass(frozen=True)
class Target:
    within: dt.timedelta
    attend: bool  # met only by attendance (or a rejection); otherwise by any response to the store
    words: str


TARGETS: dict[str, Target] = {
    Priority.P1: Target(dt.timedelta(hours=1), True, "attend within 1 hour"),
    Priority.P2: Target(dt.timedelta(hours=24), False, "respond within 24 hours"),
    Priority.P3: Target(dt.timedelta(days=3), False, "respond within 3 days"),
    Priority.P4: Target(dt.timedelta(days=7), False, "respond within 7 days"),
}

# Triage events that answer the store: any of them meets a P2-P4 target.
RESPONSES = (
    TriageAction.ATTEND,
    TriageAction.ACCEPT,
    TriageAction.REJECT,
    TriageAction.REQUEST_INFO,
    TriageAction.REQUEST_CCTV,
)
# Triage events that meet a P1 target: officers attended, or the team decided not to take it forward.
ATTENDANCE = (TriageAction.ATTEND, TriageAction.REJECT)


def due_at(priority: str, sent_at: dt.datetime) -> dt.datetime:
    return sent_at + TARGETS.get(priority, TARGETS[Priority.P3]).within


def target_words(priority: str) -> str:
    """What the priority's target asks of the police, in words (e.g. "attend within 1 hour")."""
    return TARGETS.get(priority, TARGETS[Priority.P3]).words

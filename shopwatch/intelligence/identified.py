"""What happens when a help-identify suggestion is confirmed, beyond intelligence: an explicit, typed list of
handlers (the pattern of ``reporting/filed.py``; docs/decisions/0008-incident-filed-handlers.md).

Apps above intelligence (linking) register a handler in their ``AppConfig.ready()``; the confirming service
runs each, in order, inside its own transaction, so a confirmation always has its link proposal. Intelligence
imports none of those apps.
"""

from __future__ import annotations

from dataclasses import dataclass

from shopwatch.core.entitlements import Viewer
from shopwatch.core.handlers import Handlers


@dataclass(frozen=True)
class IdentificationConfirmed:
    """A partnership manager (or the police) confirmed that the unidentified person of a gallery entry is a
    known person named in a member's suggestion."""

    viewer: Viewer
    report_id: int
    person_id: int
    """The record of the person to be identified (the gallery's ID-sought image)."""
    suggested_person_id: int
    """The known person the suggestion names."""
    reason: str


identification_confirmed: Handlers[IdentificationConfirmed] = Handlers("identification confirmed")

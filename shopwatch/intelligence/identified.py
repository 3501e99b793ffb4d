"""What happens when a help-identify suggestion is confirmed, beyond intelligence: an explicit, typed list of
handlers (the pattern of ``reporting/filed.py``; docs/decisions/0008-incident-filed-handlers.md).

Apps above intelligence (linking) register a handler in their ``AppConfig.ready()``; the confirming service
runs each, in order, inside its own transaction, so a confirmation always has its link proposal. Intelligence
imports none of those apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shopwatch.core.entitlements import Viewer


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


IdentificationHandler = Callable[[IdentificationConfirmed], object]


@dataclass(frozen=True)
class RegisteredHandler:
    name: str
    order: int
    handler: IdentificationHandler


class IdentificationHandlers:
    """The registry: handlers run in ascending ``order``; registering a name again replaces it."""

    def __init__(self) -> None:
        self._handlers: list[RegisteredHandler] = []

    def register(self, name: str, handler: IdentificationHandler, *, order: int) -> None:
        kept = [h for h in self._handlers if h.name != name]
        kept.append(RegisteredHandler(name=name, order=order, handler=handler))
        self._handlers = sorted(kept, key=lambda h: h.order)

    def registered(self) -> tuple[RegisteredHandler, ...]:
        return tuple(self._handlers)

    def run(self, event: IdentificationConfirmed) -> None:
        for registered in self._handlers:
            registered.handler(event)


identification_confirmed = IdentificationHandlers()

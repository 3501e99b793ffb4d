"""Typed, ordered lists of handlers through which a lower app tells the apps above it that something happened
(an incident filed, an upload-link file arrived, an identification confirmed), without importing them and
without Django signals (docs/decisions/0008-incident-filed-handlers.md). Each app above registers its handler
in ``AppConfig.ready()``; the lower app's service runs them, in order, inside its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import transaction

log = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass(frozen=True)
class RegisteredHandler(Generic[E]):
    name: str
    order: int
    handler: Callable[[E], object]


class Handlers(Generic[E]):
    """The registry: handlers run in ascending ``order`` (ties: in the order registered).

    ``isolated=False``: an exception propagates and rolls the caller's transaction back (the event and its
    follow-on steps stand or fall together). ``isolated=True``: each handler runs in its own savepoint; one
    that raises is logged and its writes are undone, and the caller's work stands."""

    def __init__(
        self, event: str, *, isolated: bool = False, describe: Callable[[E], str] = lambda _event: ""
    ) -> None:
        self.event = event
        self.isolated = isolated
        self.describe = describe  # what a failure's log line names (never personal data)
        self._handlers: list[RegisteredHandler[E]] = []

    def register(self, name: str, handler: Callable[[E], object], *, order: int) -> None:
        """Add ``handler`` under ``name``; registering a name again replaces it (ready() may run twice)."""
        kept = [h for h in self._handlers if h.name != name]
        kept.append(RegisteredHandler(name=name, order=order, handler=handler))
        self._handlers = sorted(kept, key=lambda h: h.order)

    def unregister(self, name: str) -> None:
        self._handlers = [h for h in self._handlers if h.name != name]

    def registered(self) -> tuple[RegisteredHandler[E], ...]:
        return tuple(self._handlers)

    def run(self, event: E) -> None:
        """Call every handler in order (see the class for what a failure does)."""
        for registered in self._handlers:
            if not self.isolated:
                registered.handler(event)
                continue
            try:
                with transaction.atomic():
                    registered.handler(event)
            except Exception:
                what = self.describe(event)
                log.exception("The %s handler %s failed %s", self.event, registered.name, what)

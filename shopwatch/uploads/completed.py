"""What happens when a file sent through an upload link has arrived, beyond uploads: a typed list of handlers.

Apps above uploads (policing: the file answers the police's CCTV request) register a handler in their
``AppConfig.ready()``; ``uploads.services.receiving`` runs every handler, in order, inside the transaction
that makes the file evidence and spends the link. Each handler runs in its own savepoint: one that raises
is logged and its writes are undone, but the evidence stays (the store's footage must never be lost to a
follow-on step). Uploads imports none of those apps (tests/test_layering.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from shopwatch.evidence.models import EvidenceFile

from .models import Upload, UploadLink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkUploadCompleted:
    """One file sent through an upload link became evidence on the link's incident."""

    link: UploadLink
    upload: Upload
    evidence: EvidenceFile
    created: bool
    """False when the same file was already on the incident (stored once)."""


LinkUploadHandler = Callable[[LinkUploadCompleted], object]


@dataclass(frozen=True)
class RegisteredHandler:
    name: str
    order: int
    handler: LinkUploadHandler


class LinkUploadHandlers:
    """The registry: handlers run in ascending ``order`` (ties: in the order registered)."""

    def __init__(self) -> None:
        self._handlers: list[RegisteredHandler] = []

    def register(self, name: str, handler: LinkUploadHandler, *, order: int) -> None:
        """Add ``handler`` under ``name``; registering a name again replaces it (ready() may run twice)."""
        kept = [h for h in self._handlers if h.name != name]
        kept.append(RegisteredHandler(name=name, order=order, handler=handler))
        self._handlers = sorted(kept, key=lambda h: h.order)

    def unregister(self, name: str) -> None:
        self._handlers = [h for h in self._handlers if h.name != name]

    def registered(self) -> tuple[RegisteredHandler, ...]:
        return tuple(self._handlers)

    def run(self, event: LinkUploadCompleted) -> None:
        """Call every handler in order, each in a savepoint; a failure is logged and undone on its own."""
        for registered in self._handlers:
            try:
                with transaction.atomic():
                    registered.handler(event)
            except Exception:
                log.exception("Upload-link handler %s failed for upload %s", registered.name, event.upload.pk)


link_upload_completed = LinkUploadHandlers()

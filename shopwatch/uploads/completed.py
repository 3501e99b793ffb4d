"""What happens when a file sent through an upload link has arrived, beyond uploads: a typed list of handlers.

Apps above uploads (policing: the file answers the police's CCTV request) register a handler in their
``AppConfig.ready()``; ``uploads.services.receiving`` runs every handler, in order, inside the transaction
that makes the file evidence and spends the link. Each handler runs in its own savepoint: one that raises
is logged and its writes are undone, but the evidence stays (the store's footage must never be lost to a
follow-on step). Uploads imports none of those apps (tests/test_layering.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from shopwatch.core.handlers import Handlers
from shopwatch.evidence.models import EvidenceFile

from .models import Upload, UploadLink


@dataclass(frozen=True)
class LinkUploadCompleted:
    """One file sent through an upload link became evidence on the link's incident."""

    link: UploadLink
    upload: Upload
    evidence: EvidenceFile
    created: bool
    """False when the same file was already on the incident (stored once)."""


link_upload_completed: Handlers[LinkUploadCompleted] = Handlers(
    "upload-link file arrived", isolated=True, describe=lambda event: f"for upload {event.upload.pk}"
)

"""Evidence bundle for an incident: originals, SHA-256 manifest, custody log, MG12-shaped exhibit list.

Built into a ZIP on disk (originals stored, not recompressed, ZIP64 for big exports; each original
re-hashed as it is copied in and checked against the hash taken on arrival), then streamed to the
investigator. Each file's chain of custody gets an "exported" entry before the log is written, so the
bundle's log shows the export itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from fpdf import FPDF

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.csvexport import csv_writer
from shopwatch.core.entitlements import Viewer, get_visible
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, User
from shopwatch.reporting.selectors import incident_queryset

from .custody import custody_append
from .models import CustodyAction, CustodyEntry, EvidenceFile
from .selectors import evidence_for_incidents

PIECE = 1024 * 1024
_REPLACE = {"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."}


def _latin(text: Any) -> str:
    s = str(text)
    for a, b in _REPLACE.items():
        s = s.replace(a, b)
    return s.encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Exhibit:
    ref: str
    evidence: EvidenceFile
    path: str
    produced_by: str
    description: str


@dataclass(frozen=True)
class Bundle:
    fileobj: IO[bytes]
    filename: str
    size: int


def _initials(user_id: int | None) -> str:
    name = User.objects.filter(pk=user_id or 0).values_list("full_name", flat=True).first() or ""
    return "".join(w[0] for w in name.split() if w)[:3].upper() or "EX"


def _producer(evidence: EvidenceFile) -> str:
    if evidence.uploaded_by_id:
        user = User.objects.filter(pk=evidence.uploaded_by_id).values_list("full_name", "email").first()
        if user:
            return user[0] or user[1]
    return f"Staff of {evidence.incident.store.name} (upload link, no account)"


def _describe(evidence: EvidenceFile) -> str:
    kind = {"image": "Photograph", "video": "Video recording", "application": "CCTV export (ZIP)"}.get(
        evidence.content_type.split("/")[0], "File"
    )
    when = (
        f", captured {timezone.localtime(evidence.captured_at):%d/%m/%Y %H:%M}"
        if evidence.captured_at
        else ""
    )
    return f"{kind} '{evidence.original_filename}' ({evidence.size:,} bytes{when})"


def exhibit_list_pdf(*, incident: Any, exhibits: list[Exhibit], made_by: str) -> bytes:
    pdf = FPDF(orientation="L")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "MG12 Exhibit list", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    crime = getattr(incident, "crime_reference", "") or "not yet recorded"
    occurred = timezone.localtime(incident.occurred_at)
    now = timezone.localtime()
    text = (
        f"Incident {incident.reference} at {incident.store.name}, {occurred:%d/%m/%Y %H:%M}. "
        f"Crime reference: {crime}. Prepared by {made_by} on {now:%d/%m/%Y %H:%M}."
    )
    pdf.multi_cell(0, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (22, 86, 50, 32, 87)
    heads = ("Exhibit ref", "Description", "Produced by", "When received", "SHA-256")
    pdf.set_font("Helvetica", "B", 8)
    for w, h in zip(widths, heads, strict=True):
        pdf.cell(w, 6, h, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=7)
    for ex in exhibits:
        cells = (
            ex.ref,
            ex.description,
            ex.produced_by,
            f"{timezone.localtime(ex.evidence.created_at):%d/%m/%Y %H:%M}",
            ex.evidence.sha256,
        )
        y = pdf.get_y()
        x = pdf.l_margin
        heights = []
        for w, text in zip(widths, cells, strict=True):
            pdf.set_xy(x, y)
            pdf.multi_cell(w, 4, _latin(text), border=0)
            heights.append(pdf.get_y() - y)
            x += w
        row = max(heights)
        x = pdf.l_margin
        for w in widths:
            pdf.rect(x, y, w, row)
            x += w
        pdf.set_xy(pdf.l_margin, y + row)
    pdf.ln(3)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(
        0,
        4,
        "Each original is in the bundle under originals/, byte for byte as received; manifest.csv "
        "and manifest.json give each file's SHA-256, custody.json the chain of custody.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def evidence_bundle_export(*, viewer: Viewer, incident_id: int) -> Bundle:
    """An investigator's export of an incident's evidence. Police only; audited and in custody."""
    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    require(viewer, Action.EXPORT_EVIDENCE_BUNDLE, incident)
    files = evidence_for_incidents(viewer=viewer, incident_ids=[incident.pk])
    if not files:
        raise ValidationFailed([FieldError("incident", "This incident has no evidence to export.")])
    bundle_id = uuid.uuid4().hex[:12]
    initials = _initials(viewer.user_id)
    exhibits = []
    for n, f in enumerate(files, start=1):
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f.original_filename)[:100]
        exhibits.append(
            Exhibit(
                ref=f"{initials}/{n}",
                evidence=f,
                path=f"originals/{n:03d}-{safe}",
                produced_by=_producer(f),
                description=_describe(f),
            )
        )
    made_by = (
        User.objects.filter(pk=viewer.user_id or 0).values_list("full_name", flat=True).first() or ""
    ) or "police"
    with transaction.atomic():
        for ex in exhibits:
            custody_append(
                evidence=ex.evidence,
                action=CustodyAction.EXPORTED,
                viewer=viewer,
                detail={"bundle": bundle_id, "exhibit": ex.ref},
            )
        audit_record(
            viewer=viewer,
            action=AuditAction.EXPORT,
            object_type="evidence_bundle",
            object_id=bundle_id,
            store_id=incident.store_id,
            summary=f"{incident.reference}: evidence bundle, {len(files)} files",
            detail={"incident": incident.pk, "evidence": [f.pk for f in files]},
        )
    out_dir = Path(settings.DATA_DIR) / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"bundle-{bundle_id}-", suffix=".zip", dir=out_dir)
    with os.fdopen(fd, "w+b") as raw:
        manifest: list[dict[str, Any]] = []
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for ex in exhibits:
                digest = hashlib.sha256()
                with ex.evidence.file.open("rb") as src, zf.open(ex.path, "w", force_zip64=True) as dst:
                    while block := src.read(PIECE):
                        digest.update(block)
                        dst.write(block)
                manifest.append(
                    {
                        "exhibit": ex.ref,
                        "evidence_id": ex.evidence.pk,
                        "path": ex.path,
                        "original_filename": ex.evidence.original_filename,
                        "content_type": ex.evidence.content_type,
                        "size": ex.evidence.size,
                        "sha256": ex.evidence.sha256,
                        "sha256_at_export": digest.hexdigest(),
                        "matches": digest.hexdigest() == ex.evidence.sha256,
                        "received_at": ex.evidence.created_at.isoformat(),
                        "produced_by": ex.produced_by,
                        "description": ex.description,
                    }
                )
            zf.writestr(
                "manifest.json",
                json.dumps(
                    {
                        "incident": incident.reference,
                        "bundle": bundle_id,
                        "made_at": timezone.now().isoformat(),
                        "files": manifest,
                    },
                    indent=2,
                ),
            )
            text = io.StringIO()
            writer = csv_writer(text)
            writer.writerow(
                ["exhibit", "path", "original_filename", "size", "sha256", "received_at", "produced_by"]
            )
            for m in manifest:
                writer.writerow(
                    [
                        m["exhibit"],
                        m["path"],
                        m["original_filename"],
                        m["size"],
                        m["sha256"],
                        m["received_at"],
                        m["produced_by"],
                    ]
                )
            zf.writestr("manifest.csv", text.getvalue())
            custody = {
                str(ex.evidence.pk): [
                    {
                        "seq": e.seq,
                        "action": e.action,
                        "at": e.at.isoformat(),
                        "actor": e.actor_label,
                        "channel": e.channel,
                        "detail": e.detail,
                        "prev_hash": e.prev_hash,
                        "entry_hash": e.entry_hash,
                    }
                    for e in CustodyEntry.objects.filter(evidence_id=ex.evidence.pk).order_by("seq")
                ]
                for ex in exhibits
            }
            zf.writestr("custody.json", json.dumps(custody, indent=2))
            zf.writestr(
                "exhibit-list.pdf", exhibit_list_pdf(incident=incident, exhibits=exhibits, made_by=made_by)
            )
        size = raw.tell()
    handle = open(name, "rb")  # noqa: SIM115 - handed to the response, which closes it
    os.unlink(name)  # gone from the directory; the open handle keeps the bytes until streamed
    return Bundle(fileobj=handle, filename=f"{incident.reference}-evidence.zip", size=size)

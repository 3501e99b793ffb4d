"""An organised group's intelligence package for a police force or a national unit: a PDF summary and the
structured data as CSV and JSON, in one ZIP with a manifest of SHA-256 hashes.

The package is sanitised to the receiver: it holds only the persons and incidents that both the person
exporting it and the receiving organisation may see (the group is recomputed through both scopes).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from fpdf import FPDF

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditAction, Organisation

from .network import Data, Group, load, organised_groups, receiver_viewer

MANIFEST = "manifest.json"


def _latin(text: str) -> str:
    return (text or "").replace("–", "-").replace("—", "-").encode("latin-1", "replace").decode("latin-1")


def sanitised(group: Group, data: Data) -> Group:
    """The same group seen through a narrower scope: only its persons and incidents that scope holds."""
    persons = {pid for pid, key in data.identity.items() if key in group.identities}
    sightings = sorted(
        (s for s in data.incidents.values() if s.person_ids & persons), key=lambda s: s.occurred_at
    )
    present = sorted({data.identity[p] for p in persons})
    return Group(key=group.key, identities=present, data=data, reasons=group.reasons, sightings=sightings)


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    return out.getvalue().encode("utf-8")


def _pdf(group: Group, receiver: Organisation, exported_by: str, at: str) -> bytes:
    doc = FPDF(orientation="P", unit="mm", format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_page()
    doc.set_font("Helvetica", style="B", size=16)
    doc.cell(
        0, 10, _latin(f"Organised group {group.key}: intelligence package"), new_x="LMARGIN", new_y="NEXT"
    )
    doc.set_font("Helvetica", size=10)
    for line in (
        f"For {receiver.name}. Exported by {exported_by} on {at}.",
        "OFFICIAL-SENSITIVE. Holds only what the receiver is entitled to see. Links between records are"
        " decisions of named officers; other associations are proposals, not identifications.",
        f"{len(group.members)} people, {len(group.sightings)} incidents, {len(group.vehicles)} vehicles;"
        f" harm score {group.harm}, goods value GBP {group.value:.2f}.",
        "Links: " + ", ".join(f"{why} x{n}" for why, n in group.reasons.most_common()),
        "Footprint: " + ", ".join(f"{force} ({n})" for force, n in group.footprint),
    ):
        doc.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
        doc.ln(1)
    doc.set_font("Helvetica", style="B", size=12)
    doc.cell(0, 8, "Members", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=9)
    for o in group.members:
        doc.multi_cell(
            0,
            5,
            _latin(
                f"{o.names}: {o.incidents} incidents, harm {o.harm}, GBP {o.value:.2f}, {o.forces} force(s)"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    doc.set_font("Helvetica", style="B", size=12)
    doc.cell(0, 8, "Timeline", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=9)
    for s in group.sightings:
        doc.multi_cell(
            0,
            5,
            _latin(f"{s.occurred_at:%d %b %Y %H:%M} {s.reference} {s.type} at {s.store}, {s.town}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(doc.output())


@dataclass(frozen=True)
class Package:
    filename: str
    content: bytes
    files: dict[str, str]  # name -> sha256


def group_package(
    *, viewer: Viewer, group_key: str, receiver: Organisation, exported_by: str
) -> Package | None:
    """The package of one of the viewer's groups for ``receiver``; None when the viewer has no such group."""
    group = next((g for g in organised_groups(load([viewer])) if g.key == group_key), None)
    if group is None:
        return None
    narrowed = sanitised(group, load([viewer, receiver_viewer(receiver)]))
    now = timezone.now()
    at = now.strftime("%Y-%m-%d %H:%M %Z")
    data = narrowed.data
    members = [
        [
            o.key,
            p.pk,
            p.given_name,
            p.family_name,
            p.date_of_birth.isoformat() if p.date_of_birth else "",
            (p.partnership or p.owner_org).name,
        ]
        for o in narrowed.members
        for p in o.members
    ]
    incidents = [
        [
            s.reference,
            s.occurred_at.isoformat(),
            s.type,
            s.store,
            s.town,
            data.forces.get(s.force_id, ""),
            f"{s.value:.2f}",
            s.harm,
            "yes" if s.violent else "no",
            " ".join(sorted(data.identity[p] for p in s.person_ids)),
            " ".join(sorted(data.vehicles[v].registration for v in s.vehicle_ids if v in data.vehicles)),
        ]
        for s in narrowed.sightings
    ]
    nodes, edges = narrowed.picture()
    files: dict[str, bytes] = {
        "summary.pdf": _pdf(narrowed, receiver, exported_by, at),
        "members.csv": _csv(
            ["identity", "person_id", "given_name", "family_name", "date_of_birth", "held_by"], members
        ),
        "incidents.csv": _csv(
            [
                "reference",
                "occurred_at",
                "type",
                "store",
                "town",
                "force",
                "value",
                "harm",
                "violent",
                "people",
                "vehicles",
            ],
            incidents,
        ),
        "vehicles.csv": _csv(
            ["registration", "make", "model", "colour"],
            [[v.registration, v.make, v.model, v.colour] for v in narrowed.vehicles],
        ),
        "network.json": json.dumps(
            {
                "nodes": [{"id": k, "kind": kind, "label": label} for k, kind, label in nodes],
                "edges": [list(e) for e in edges],
            },
            indent=1,
        ).encode(),
    }
    hashes = {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}
    manifest = {
        "group": group_key,
        "receiver": {"slug": receiver.slug, "name": receiver.name},
        "exported_by": exported_by,
        "exported_at": now.isoformat(),
        "files": [{"name": n, "sha256": h, "bytes": len(files[n])} for n, h in sorted(hashes.items())],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="link_group",
        object_id=group_key,
        summary=f"Intelligence package of group {group_key} for {receiver.name}",
        detail={
            "receiver": receiver.slug,
            "persons": sorted(p.pk for o in narrowed.members for p in o.members),
            "incidents": [s.incident_id for s in narrowed.sightings],
            "files": hashes,
        },
    )
    return Package(f"shopwatch-group-{group_key}-{receiver.slug}.zip", buffer.getvalue(), hashes)

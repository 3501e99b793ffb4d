"""The case file as a PDF (fpdf2, pure Python): MG5 summary, incidents, MG11 statements, MG12 exhibit list,
Impact Statements for Business, and for an offender the Criminal Behaviour Order pack with a location map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from fpdf import FPDF

if TYPE_CHECKING:
    from shopwatch.reporting.models import Incident

    from .models import CaseFile, ImpactStatement, WitnessStatement
    from .services.casefiles import Exhibit

_REPLACE = {"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "*", "→": "->"}


def latin(text: Any) -> str:
    """The core PDF fonts are Latin-1: replace typographic characters, and mark anything else."""
    s = str(text)
    for a, b in _REPLACE.items():
        s = s.replace(a, b)
    return s.encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    title_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(
            0, 8, latin(f"{self.title_text} - page {self.page_no()}/{{nb}} - OFFICIAL-SENSITIVE"), align="C"
        )


def _heading(pdf: _Pdf, text: str) -> None:
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)


def _para(pdf: _Pdf, text: str) -> None:
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, latin(text or "-"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else "-"


def _map(pdf: _Pdf, incidents: list[Incident]) -> None:
    """A schematic map: each store where the offender offended, placed by its coordinates."""
    points: dict[int, tuple[float, float, str, int]] = {}
    for inc in incidents:
        s = inc.store
        lat, lon, name, n = points.get(s.pk, (s.latitude, s.longitude, s.name, 0))
        points[s.pk] = (lat, lon, name, n + 1)
    if not points:
        return
    x0, y0, w, h = pdf.l_margin, pdf.get_y(), pdf.epw, 90
    pdf.rect(x0, y0, w, h)
    lats = [p[0] for p in points.values()]
    lons = [p[1] for p in points.values()]
    pad = 0.005
    lat_min, lat_max = min(lats) - pad, max(lats) + pad
    lon_min, lon_max = min(lons) - pad, max(lons) + pad
    pdf.set_font("Helvetica", size=7)
    for lat, lon, name, n in points.values():
        x = x0 + 5 + (lon - lon_min) / (lon_max - lon_min) * (w - 40)
        y = y0 + 5 + (lat_max - lat) / (lat_max - lat_min) * (h - 10)
        pdf.circle(x=x, y=y, radius=1.5 + min(n, 10) * 0.3, style="F")
        pdf.text(x + 3, y + 1, latin(f"{name} ({n})"))
    pdf.set_y(y0 + h + 3)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(
        0,
        4,
        latin(
            f"Stores by position (latitude {lat_min:.4f} to {lat_max:.4f}, longitude "
            f"{lon_min:.4f} to {lon_max:.4f}); the number is incidents at each."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def casefile_pdf(
    *,
    case: CaseFile,
    incidents: list[Incident],
    exhibits: list[Exhibit],
    statements: list[WitnessStatement],
    impacts: list[ImpactStatement],
) -> bytes:
    from .services.casefiles import declaration_for

    pdf = _Pdf(format="A4")
    pdf.title_text = case.title
    pdf.set_title(latin(case.title))
    pdf.set_creator("ShopWatch")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=15)

    pdf.add_page()
    _heading(pdf, f"MG5 Case summary: {case.title}")
    _para(
        pdf,
        f"Force: {case.force.name}. Prepared by {case.created_by.full_name if case.created_by else '-'} "
        f"on {_when(case.created_at)}. {len(incidents)} incident(s), {len(exhibits)} exhibit(s).",
    )
    _para(pdf, case.summary or "No summary written yet.")
    _heading(pdf, "Incidents")
    for inc in incidents:
        _para(
            pdf,
            f"{inc.reference} - {_when(inc.occurred_at)} - {inc.store.name}, {inc.store.town} - "
            f"{inc.get_type_display()} - goods GBP {inc.goods_value}"
            + (f" - crime ref {inc.crime_reference}" if inc.crime_reference else "")
            + f"\n{inc.description[:1500]}",
        )

    for s in statements:
        pdf.add_page()
        _heading(pdf, "MG11 Witness statement")
        _para(
            pdf,
            f"Statement of: {s.witness.full_name}. Occupation: {s.occupation or '-'}. "
            f"Incident: {s.incident.reference}.",
        )
        _para(pdf, declaration_for(s) if not s.declaration else s.declaration)
        _para(pdf, s.text)
        if s.signed_at:
            _para(
                pdf,
                f"Signed: {s.signed_name}, {_when(s.signed_at)} (on the witness's own device). "
                f"SHA-256 of the signed text: {s.signed_text_sha256}",
            )
        else:
            _para(pdf, "NOT YET SIGNED BY THE WITNESS.")

    pdf.add_page()
    _heading(pdf, "MG12 Exhibit list")
    pdf.set_font("Helvetica", size=8)
    for ex in exhibits:
        pdf.multi_cell(
            0,
            4,
            latin(
                f"{ex.ref}  {ex.evidence.original_filename} "
                f"({ex.evidence.content_type}, {ex.evidence.size} bytes) - "
                f"{ex.incident.reference} - SHA-256 {ex.sha256 or ex.evidence.sha256}"
                + ("" if ex.matches else " - DOES NOT MATCH THE HASH TAKEN ON ARRIVAL")
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if not exhibits:
        _para(pdf, "No exhibits.")

    for isb in impacts:
        pdf.add_page()
        _heading(pdf, "Impact Statement for Business")
        _para(
            pdf,
            f"{isb.retailer.name}. Given by {isb.author.full_name}, {isb.author_position}, "
            f"on {_when(isb.created_at)}.",
        )
        _para(pdf, isb.text)

    if case.kind == "offender":
        pdf.add_page()
        person = case.person
        _heading(pdf, f"Criminal Behaviour Order pack: {person.display_name if person else '-'}")
        _heading(pdf, "Lead officer's summary of offending history")
        _para(pdf, case.offending_history or "Not written yet.")
        _heading(pdf, "Proposed exclusion zone")
        _para(pdf, case.exclusion_zone or "None proposed.")
        _map(pdf, incidents)
    return bytes(pdf.output())

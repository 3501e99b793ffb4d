"""A printable certificate for a completed self-assessment (fpdf2, pure Python)."""

from __future__ import annotations

from django.utils import timezone
from fpdf import FPDF

from .models import Assessment

_REPLACE = {"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."}


def _latin(text: object) -> str:
    s = str(text)
    for a, b in _REPLACE.items():
        s = s.replace(a, b)
    return s.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(assessment: Assessment) -> bytes:
    qs = assessment.question_set
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(f"{qs.title} certificate"))
    pdf.add_page()
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_y(30)
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(0, 12, _latin("Certificate of completion"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=14)
    pdf.multi_cell(0, 8, _latin(qs.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    where = assessment.store.name if assessment.store else assessment.organisation.name
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin(where), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    when = timezone.localtime(assessment.completed_at).strftime("%d %B %Y")
    pdf.multi_cell(
        0, 7, _latin(f"completed the assessment on {when}"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.multi_cell(
        0, 7, _latin(f"with a score of {assessment.score}%"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, "Score by area", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for area in qs.areas:
        value = assessment.area_scores.get(area["key"], 0)
        pdf.cell(0, 6, _latin(f"{area['title']}: {value}%"), new_x="LMARGIN", new_y="NEXT")
    if assessment.next_steps:
        pdf.ln(6)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 7, "Your next steps", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for i, step in enumerate(assessment.next_steps, 1):
            pdf.multi_cell(0, 6, _latin(f"{i}. {step['advice']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-40)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(
        0,
        5,
        _latin(
            f"Certificate {assessment.certificate_number}. "
            f"Question set {qs.slug} version {qs.version}. {qs.source}"
        ),
        align="C",
    )
    return bytes(pdf.output())

"""Printable documents: the staff-room gallery (watermarked with who printed it), warning letters and
exclusion notices."""

from __future__ import annotations

import io

from django.core.files.storage import default_storage
from django.utils import timezone
from fpdf import FPDF

from shopwatch.subjects.services import person_photo_thumbnail_ensure

from .models import ExclusionNotice, WarningLetter
from .selectors import GalleryCard


def _latin(text: str) -> str:
    return (
        (text or "")
        .replace("–", "-")
        .replace("—", "-")
        .replace("’", "'")
        .replace("“", '"')
        .replace("”", '"')
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


class _Doc(FPDF):
    def __init__(self, watermark: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.watermark = watermark
        self.set_auto_page_break(auto=True, margin=18)

    def header(self) -> None:
        if not self.watermark:
            return
        self.set_font("Helvetica", style="B", size=9)
        self.set_text_color(150, 0, 0)
        self.cell(0, 5, _latin(self.watermark), align="C", new_x="LMARGIN", new_y="NEXT")
        with self.rotation(35, x=105, y=150):
            self.set_font("Helvetica", style="B", size=26)
            self.set_text_color(225, 225, 225)
            self.text(20, 150, _latin(self.watermark[:60]))
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, _latin(f"{self.watermark} - page {self.page_no()}"), align="C")

    def para(self, text: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        self.set_font("Helvetica", style=style, size=size)
        self.multi_cell(0, height, _latin(text), new_x="LMARGIN", new_y="NEXT")


def gallery_pdf(*, partnership_name: str, cards: list[GalleryCard], printed_by: str) -> bytes:
    stamp = f"CONFIDENTIAL - printed by {printed_by} on {timezone.localtime():%d %b %Y %H:%M} - do not copy"
    pdf = _Doc(stamp)
    pdf.add_page()
    pdf.para(f"{partnership_name}: people to look out for", size=16, style="B", height=8)
    pdf.para(
        "Keep this in the staff room. Destroy it when a new one is printed. Do not photograph or share it."
    )
    pdf.ln(2)
    for card in cards:
        if pdf.get_y() > 240:
            pdf.add_page()
        top = pdf.get_y()
        if card.photo_id is not None:
            photo = card.person.photos.filter(pk=card.photo_id).first()
            # The thumbnail: upright, small whatever the phone took, and any image type it could render.
            thumbnail = person_photo_thumbnail_ensure(photo=photo) if photo is not None else None
            if thumbnail is not None:
                with default_storage.open(thumbnail, "rb") as fh:
                    pdf.image(io.BytesIO(fh.read()), x=10, y=top, w=28)
        pdf.set_xy(42, top)
        pdf.set_font("Helvetica", style="B", size=11)
        pdf.multi_cell(0, 6, _latin(card.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(42)
        pdf.set_font("Helvetica", size=9)
        lines = [] if card.redacted else [f"Why listed: {card.entry.reason}"]  # images only: no details
        lines.append(f"Incidents in the last 90 days: {card.recent_incidents}")
        if card.excluded_until:
            lines.append(f"EXCLUDED from member premises until {card.excluded_until:%d %b %Y}")
        lines.append(f"If seen: {card.entry.advice}")
        for line in lines:
            pdf.set_x(42)
            pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), top + 36) + 3)
    return bytes(pdf.output())


def warning_pdf(letter: WarningLetter) -> bytes:
    pdf = _Doc(f"{letter.partnership.name} - warning letter {letter.pk}")
    pdf.add_page()
    pdf.para(letter.partnership.name, size=14, style="B", height=7)
    pdf.para(f"Date: {timezone.localtime(letter.issued_at):%d %B %Y}")
    pdf.para(f"To: {letter.person.display_name}")
    pdf.ln(3)
    pdf.para("Warning about your behaviour at member premises", size=12, style="B", height=7)
    pdf.para(letter.reason)
    pdf.ln(2)
    incidents = list(letter.incidents.select_related("store").order_by("occurred_at"))
    if incidents:
        pdf.para("This letter relates to:", style="B")
        for i in incidents:
            pdf.para(
                f"- {timezone.localtime(i.occurred_at):%d %b %Y %H:%M}, {i.store.name} (ref {i.reference})"
            )
    pdf.ln(2)
    pdf.para(
        "If there are further incidents, the partnership may exclude you from all member premises. "
        "You can ask the partnership what information it holds about you."
    )
    pdf.ln(4)
    pdf.para(
        f"Served {letter.get_served_how_display().lower()} on "
        f"{timezone.localtime(letter.served_at):%d %B %Y %H:%M} by {letter.served_by}."
    )
    return bytes(pdf.output())


def exclusion_pdf(notice: ExclusionNotice) -> bytes:
    pdf = _Doc(f"{notice.partnership.name} - exclusion notice {notice.pk}")
    pdf.add_page()
    pdf.para(notice.partnership.name, size=14, style="B", height=7)
    pdf.para("EXCLUSION NOTICE", size=16, style="B", height=8)
    pdf.para(f"To: {notice.person.display_name}")
    where = "all member premises of the partnership" if notice.all_premises else "the premises listed below"
    pdf.para(
        f"You are excluded from {where} "
        f"from {notice.starts_on:%d %B %Y} to {notice.ends_on:%d %B %Y} inclusive."
    )
    if not notice.all_premises:
        for store in notice.stores.order_by("name"):
            pdf.para(f"- {store.name}, {store.address}, {store.town} {store.postcode}")
    if notice.conditions:
        pdf.ln(2)
        pdf.para("Conditions", style="B")
        pdf.para(notice.conditions)
    pdf.ln(2)
    pdf.para("Incidents relied on", style="B")
    for i in notice.evidence.select_related("store").order_by("occurred_at"):
        pdf.para(
            f"- {timezone.localtime(i.occurred_at):%d %b %Y %H:%M}, {i.store.name}: "
            f"{i.get_type_display()} (ref {i.reference})"
        )
    pdf.ln(2)
    pdf.para(
        "Entering covered premises while excluded may be treated as trespass, and a court may treat it as "
        "aggravating. You may appeal to the partnership board, and ask for a review after six months "
        "without incidents."
    )
    pdf.ln(4)
    pdf.para(
        f"Served {notice.get_served_how_display().lower()} on "
        f"{timezone.localtime(notice.served_at):%d %B %Y %H:%M} by {notice.served_by}."
    )
    return bytes(pdf.output())

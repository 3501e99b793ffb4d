"""Printed documents every app shares: an A4 page with a header band, a body and a footer band that never
overlap, "page N of M", any name in any script the DejaVu Sans font covers (shipped in `core/fonts/`,
Bitstream Vera licence), and a watermark kept inside the body whatever its length.

The bands, in millimetres from the top of an A4 page (297 mm):

- header: 10 to 17 (the document's title on the left, its marking on the right, a rule under them);
- body: 22 to 277 (automatic page breaks leave 20 mm at the bottom);
- footer: 280 to 287 (a rule, then "page N of M").

Nothing is drawn within 10 mm of an edge, so a printer's unprintable border never clips a word.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from fpdf import FPDF

FONT = "DejaVu"
_FONT_DIR = Path(__file__).resolve().parent / "fonts"

PAGE_W, PAGE_H = 210.0, 297.0
EDGE = 10.0  # nothing drawn closer than this to any edge
SIDE = 18.0  # left and right margins of the body
HEADER_TOP, HEADER_BOTTOM = 10.0, 17.0
BODY_TOP, BODY_BOTTOM = 22.0, 277.0
FOOTER_TOP, FOOTER_BOTTOM = 280.0, 287.0


class PrintedDocument(FPDF):
    """An A4 portrait document: `title` and `marking` in the header, "page N of M" in the footer, and an
    optional `watermark` drawn diagonally behind the body of every page."""

    def __init__(self, *, title: str, marking: str = "OFFICIAL-SENSITIVE", watermark: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.doc_title = title
        self.marking = marking
        self.watermark = watermark
        self.set_title(title)
        self.set_creator("ShopWatch")
        self.set_margins(SIDE, BODY_TOP, SIDE)
        self.set_auto_page_break(auto=True, margin=PAGE_H - BODY_BOTTOM)
        self.set_font(FONT, size=10)

    # --- Bands ------------------------------------------------------------------------------------------

    def header(self) -> None:
        if self.watermark:
            self._watermark()
        self.set_text_color(60, 60, 60)
        self.set_font(FONT, size=8)
        marking_w = self.get_string_width(self.marking) + 2 if self.marking else 0
        self.set_xy(SIDE, HEADER_TOP)
        self.cell(self.epw - marking_w - 4, 5, _fit(self, self.doc_title, self.epw - marking_w - 4))
        if self.marking:
            self.set_font(FONT, "B", 8)
            self.set_xy(PAGE_W - SIDE - marking_w, HEADER_TOP)
            self.cell(marking_w, 5, self.marking, align="R")
        self.set_draw_color(150, 150, 150)
        self.line(SIDE, HEADER_BOTTOM - 1, PAGE_W - SIDE, HEADER_BOTTOM - 1)
        self.set_text_color(0, 0, 0)
        self.set_draw_color(0, 0, 0)
        self.set_font(FONT, size=10)
        self.set_xy(SIDE, BODY_TOP)

    def footer(self) -> None:
        self.set_draw_color(150, 150, 150)
        self.line(SIDE, FOOTER_TOP, PAGE_W - SIDE, FOOTER_TOP)
        self.set_draw_color(0, 0, 0)
        self.set_text_color(60, 60, 60)
        self.set_font(FONT, size=8)
        self.set_xy(SIDE, FOOTER_TOP + 1.5)
        self.cell(self.epw, 5, f"page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def _watermark(self) -> None:
        """The watermark, rotated about the body's centre and sized so that its rotated box fits the body."""
        angle = 35.0
        text = self.watermark
        cx, cy = PAGE_W / 2, (BODY_TOP + BODY_BOTTOM) / 2
        rad = math.radians(angle)
        size = 28.0
        self.set_font(FONT, "B", size)
        while size > 6:
            self.set_font(FONT, "B", size)
            w = self.get_string_width(text)
            h = size * 0.3528  # points to mm
            box_w = w * math.cos(rad) + h * math.sin(rad)
            box_h = w * math.sin(rad) + h * math.cos(rad)
            if box_w <= self.epw - 4 and box_h <= (BODY_BOTTOM - BODY_TOP) - 4:
                break
            size -= 1
        w = self.get_string_width(text)
        h = size * 0.3528
        self.set_text_color(215, 215, 215)
        with self.rotation(angle, x=cx, y=cy):
            # fpdf places text by its baseline; the cap height is about 0.7 of the font size.
            self.text(cx - w / 2, cy + h * 0.35, text)
        self.set_text_color(0, 0, 0)

    # --- Body -------------------------------------------------------------------------------------------

    def heading(self, text: str, size: float = 13) -> None:
        self.keep_space(size * 0.9 + 12)  # never a heading alone at the foot of a page
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)
        self.set_font(FONT, size=10)

    def para(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, height, text or "-", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        self.set_font(FONT, size=10)

    def field(self, label: str, value: str, label_w: float = 42, size: float = 10) -> None:
        """A labelled value: the label in a column of its own, the value wrapped beside it."""
        height = size * 0.5
        self.keep_space(height * 2)
        top = self.get_y()
        self.set_font(FONT, "B", size)
        self.set_xy(self.l_margin, top)
        self.cell(label_w - 2, height, _fit(self, label, label_w - 2))
        self.set_font(FONT, "", size)
        self.set_xy(self.l_margin + label_w, top)
        self.multi_cell(self.epw - label_w, height, value or "-", new_x="LMARGIN", new_y="NEXT")
        self.ln(0.8)

    def keep_space(self, height: float) -> None:
        """Start a new page unless `height` millimetres of body are left on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def image_box(self, data: bytes, *, x: float, y: float, w: float, h: float) -> None:
        """An image fitted inside a box (its aspect kept), with a thin frame."""
        self.image(io.BytesIO(data), x=x, y=y, w=w, h=h, keep_aspect_ratio=True)
        self.set_draw_color(120, 120, 120)
        self.rect(x, y, w, h)
        self.set_draw_color(0, 0, 0)

    def bytes(self) -> bytes:
        return bytes(self.output())


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` shortened with an ellipsis to fit `width` in the current font (for one-line header cells)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"

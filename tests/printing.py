"""Checking printed documents page by page: each page rendered to an image with pypdfium2 and its text
extracted, as a reader holding the paper would see it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageChops

from shopwatch.core.printing import BODY_BOTTOM, BODY_TOP, EDGE

MM = 72 / 25.4  # PDF points per millimetre
SCALE = 2.0  # pixels per point when rendering


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class PrintedPage:
    number: int
    text: str  # the whole page, whitespace collapsed
    header: str  # the text above the body
    footer: str  # the text below the body
    image: Image.Image  # the page rendered, RGB
    width_mm: float
    height_mm: float

    def ink_box_mm(self) -> tuple[float, float, float, float] | None:
        """Left, top, right, bottom (mm from the top-left corner) of everything drawn that is not white."""
        white = Image.new("RGB", self.image.size, (255, 255, 255))
        diff = ImageChops.difference(self.image, white).convert("L").point(lambda v: 255 if v > 6 else 0)
        box = diff.getbbox()
        if box is None:
            return None
        px_per_mm = self.image.size[0] / self.width_mm
        return (box[0] / px_per_mm, box[1] / px_per_mm, box[2] / px_per_mm, box[3] / px_per_mm)

    def region_ink(self, x: float, y: float, w: float, h: float) -> tuple[int, int]:
        """How many coloured pixels (not white, grey or black: a photo, not text or rules), and how many
        non-white pixels, the box (in mm) holds."""
        px_per_mm = self.image.size[0] / self.width_mm
        crop = self.image.crop(
            (
                int(x * px_per_mm) + 2,
                int(y * px_per_mm) + 2,
                int((x + w) * px_per_mm) - 2,
                int((y + h) * px_per_mm) - 2,
            )
        )
        inked = coloured = 0
        for n, colour in crop.getcolors(maxcolors=10_000_000) or []:
            rgb = colour if isinstance(colour, tuple) else (colour, colour, colour)
            if rgb != (255, 255, 255):
                inked += n
            if max(rgb) - min(rgb) > 40:
                coloured += n
        return coloured, inked


def printed_pages(pdf: bytes) -> list[PrintedPage]:
    doc = pdfium.PdfDocument(pdf)
    out = []
    for i in range(len(doc)):
        page = doc[i]
        width, height = page.get_size()
        textpage = page.get_textpage()
        out.append(
            PrintedPage(
                number=i + 1,
                text=squash(textpage.get_text_range()),
                header=squash(textpage.get_text_bounded(0, height - (BODY_TOP - 2) * MM, width, height)),
                footer=squash(textpage.get_text_bounded(0, 0, width, height - (BODY_BOTTOM + 2) * MM)),
                image=page.render(scale=SCALE).to_pil().convert("RGB"),
                width_mm=width / MM,
                height_mm=height / MM,
            )
        )
    return out


def assert_laid_out_for_print(pages: list[PrintedPage], header: str, marking: str) -> None:
    """Every page: nothing drawn within EDGE mm of an edge (the watermark included), the header band holds
    only the title and marking, the footer band only "page N of M"."""
    for page in pages:
        box = page.ink_box_mm()
        assert box is not None, f"page {page.number} is blank"
        left, top, right, bottom = box
        assert left >= EDGE - 0.5, (page.number, box)
        assert top >= EDGE - 0.5, (page.number, box)
        assert right <= page.width_mm - EDGE + 0.5, (page.number, box)
        assert bottom <= page.height_mm - EDGE + 0.5, (page.number, box)
        assert page.header.startswith(header[:30]), (page.number, page.header)
        assert page.header.endswith(marking), (page.number, page.header)
        assert page.footer == f"page {page.number} of {len(pages)}", (page.number, page.footer)

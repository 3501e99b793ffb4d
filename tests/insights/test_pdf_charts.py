"""The dashboard's PDF report carries its charts as well as its tables: each page rendered with pypdfium2,
the chart titles read from the page text and the area under each title checked for drawn bars."""

from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.core.support import sign_in_verified
from tests.printing import MM, printed_pages
from tests.world import World

pytestmark = pytest.mark.django_db
BAR = (29, 63, 143)


def _title_top_mm(pdf: bytes, page_index: int, title: str) -> float:
    """How far down the page (mm) the title's first character sits."""
    page = pdfium.PdfDocument(pdf)[page_index]
    textpage = page.get_textpage()
    search = textpage.search(title)
    found = search.get_next()
    assert found is not None, title
    _left, _bottom, _right, top = textpage.get_charbox(found[0])
    return float((page.get_size()[1] - top) / MM)


def _bar_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels in the box (pixels) are the charts' bar blue."""
    colours = image.crop(box).getcolors(maxcolors=10_000_000) or []
    return sum(
        n
        for n, c in colours
        if isinstance(c, tuple) and all(abs(int(a) - b) <= 12 for a, b in zip(c[:3], BAR, strict=True))
    )


def test_pcc_pdf_has_charts_with_drawn_bars_and_their_titles(world: World, client: Client) -> None:
    now = timezone.now()
    for i in range(24):
        world.report(
            "reporter",
            "nw-brighton",
            occurred_at=now - dt.timedelta(days=i * 2 + 1),
            type="violence" if i % 4 == 0 else "theft",
        )
    sign_in_verified(client, world.users["pcc"])
    response = client.get("/insights/pcc/sussex-pcc/export.pdf")
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    pages = printed_pages(pdf)
    text = " ".join(p.text for p in pages)
    titles = [
        "Chart: Incidents by month",
        "Chart: Incidents by type",
        "Chart: Navigator: incidents before and since engagement",
        "Chart: Forensic-marking deployments by month",
    ]
    for title in titles:
        assert title in text, title
    # The tables are still there beside the charts.
    assert "Headline figures" in text
    assert "Incidents: no earlier figures to compare" in text
    for title, expect_bars in ((titles[0], True), (titles[1], True)):
        page = next(p for p in pages if title in p.text)
        top = _title_top_mm(pdf, page.number - 1, title)
        px_per_mm = page.image.size[0] / page.width_mm
        # The chart: from just under its title, 50 mm down, across the text width.
        box = (
            int(15 * px_per_mm),
            int((top + 7) * px_per_mm),
            int((page.width_mm - 10) * px_per_mm),
            int((top + 57) * px_per_mm),
        )
        drawn = _bar_pixels(page.image, box)
        assert (drawn > 2000) is expect_bars, (title, drawn)
    # Under the suppression rule nothing drawn reveals a count under 5: the PCC's Navigator chart, with no
    # engaged people in this world, draws no bar at all and says "fewer than 5".
    nav = next(p for p in pages if titles[2] in p.text)
    top = _title_top_mm(pdf, nav.number - 1, titles[2])
    px_per_mm = nav.image.size[0] / nav.width_mm
    box = (0, int((top + 7) * px_per_mm), nav.image.size[0], int((top + 30) * px_per_mm))
    assert _bar_pixels(nav.image, box) == 0
    assert "fewer than 5" in nav.text

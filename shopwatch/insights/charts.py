"""Server-rendered SVG charts: no JavaScript, small, readable without colour, each with a text alternative."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .selectors import MIN_CHANGE_BASE, Figure

INK = "#0b0c0c"
BAR = "#1d3f8f"
ALT = "#f47738"


def _svg(width: int, height: int, label: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every value interpolated below is escaped or numeric
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">{body}</svg>'
    )


def bar_chart(items: Sequence[tuple[str, Figure]], label: str, width: int = 640) -> SafeString:
    """Horizontal bars with their values written beside them."""
    row = 26
    height = max(row * len(items) + 10, 40)
    top = max((f.value or 0 for _, f in items), default=0) or 1
    label_w = 190
    parts = []
    for i, (name, fig) in enumerate(items):
        y = 5 + i * row
        w = 0 if fig.value is None else (width - label_w - 90) * fig.value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(name[:28])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="13" fill="{INK}">'
            f"{escape(fig.display)}</text>"
        )
    return _svg(width, height, label, "".join(parts))


def column_chart(
    points: Sequence[tuple[dt.date, Figure]], label: str, fmt: str = "%b", width: int = 640, height: int = 200
) -> SafeString:
    """Vertical columns over time, with the first of each labelled period on the axis."""
    if not points:
        return _svg(
            width,
            40,
            label,
            f'<text x="0" y="20" font-size="13" fill="{INK}">No incidents in this period</text>',
        )
    top = max((f.value or 0 for _, f in points), default=0) or 1
    plot_h = height - 40
    step = (width - 50) / len(points)
    parts = [
        f'<line x1="45" y1="{plot_h + 5}" x2="{width}" y2="{plot_h + 5}" stroke="{INK}"/>',
        f'<text x="40" y="15" text-anchor="end" font-size="11" fill="{INK}">{int(top):,}</text>',
        f'<text x="40" y="{plot_h + 5}" text-anchor="end" font-size="11" fill="{INK}">0</text>',
    ]
    last_label = ""
    for i, (when, fig) in enumerate(points):
        h = 0 if fig.value is None else plot_h * fig.value / top
        x = 50 + i * step
        parts.append(
            f'<rect x="{x:.1f}" y="{plot_h + 5 - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{BAR}"><title>{escape(when.strftime("%d %b %Y"))}: {escape(fig.display)}</title></rect>'
        )
        text = when.strftime(fmt)
        if text != last_label:
            parts.append(
                f'<text x="{x:.1f}" y="{plot_h + 22}" font-size="11" fill="{INK}">{escape(text)}</text>'
            )
            last_label = text
    return _svg(width, height, label, "".join(parts))


def heatmap(grid: Sequence[Sequence[Figure]], label: str) -> SafeString:
    """Hour of day across, day of week down; darker is busier, and each cell carries its number as a title."""
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    cell = 24
    width, height = 40 + 24 * cell, 30 + 7 * cell
    top = max((f.value or 0 for row in grid for f in row), default=0) or 1
    parts = []
    for h in range(0, 24, 3):
        parts.append(f'<text x="{40 + h * cell}" y="14" font-size="11" fill="{INK}">{h:02d}</text>')
    for d, row in enumerate(grid):
        y = 20 + d * cell
        parts.append(f'<text x="0" y="{y + 16}" font-size="12" fill="{INK}">{days[d]}</text>')
        for h, fig in enumerate(row):
            shade = 0.06 + 0.94 * ((fig.value or 0) / top)
            parts.append(
                f'<rect x="{40 + h * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{BAR}" '
                f'fill-opacity="{shade:.2f}">'
                f"<title>{days[d]} {h:02d}:00: {escape(fig.display)}</title></rect>"
            )
    return _svg(width, height, label, "".join(parts))


def change_text(change: float | None, base: int | None = None) -> str:
    """The change on the previous period in words; ``base`` is the earlier period's count behind it."""
    if change is None:
        if base:
            return f"not enough earlier data to compare (fewer than {MIN_CHANGE_BASE} the period before)"
        return "no earlier figures to compare"
    if abs(change) < 0.005:
        return "no change on the previous period"
    # format_html escapes its arguments to strings first, so the number is formatted here.
    return format_html(
        "{}{}% on the previous period", "up " if change > 0 else "down ", f"{abs(change) * 100:.0f}"
    )

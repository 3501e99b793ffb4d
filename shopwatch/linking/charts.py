"""Server-rendered SVG for linking: the explanation waterfall and a network picture. No JavaScript, so they
work offline; each has a text alternative and a table beside it on the page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK = "#0b0c0c"
UP = "#00703c"  # raised the match
DOWN = "#d4351c"  # lowered it
PRIOR = "#505a5f"
GRID = "#b1b4b6"


def _svg(width: int, height: int, label: str, body: str, css: str = "chart") -> SafeString:
    return mark_safe(  # noqa: S308 - every value interpolated is escaped or numeric
        f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">{body}</svg>'
    )


def probability(weight: float) -> float:
    """Splink's match probability from a total match weight (log2 of the Bayes factor)."""
    return 1 / (1 + 2 ** (-weight))


def waterfall(explanation: Sequence[dict[str, Any]], label: str, width: int = 640) -> SafeString:
    """One bar per compared field, starting where the previous one ended; the last bar is the total.

    Green bars raised the match weight, red ones lowered it; the prior starts the sum. The scale is match
    weight (log2 Bayes factor), with the resulting probability written under the total.
    """
    steps = [
        (str(e.get("field", "")), str(e.get("comparison", "")), float(e.get("match_weight", 0)))
        for e in explanation
    ]
    running = 0.0
    spans: list[tuple[str, str, float, float, float]] = []
    for field, comparison, w in steps:
        spans.append((field, comparison, running, running + w, w))
        running += w
    total = running
    lo = min([0.0, total, *[min(a, b) for _, _, a, b, _ in spans]])
    hi = max([0.0, total, *[max(a, b) for _, _, a, b, _ in spans]])
    span = (hi - lo) or 1.0
    label_w, value_w, row = 200, 70, 28
    plot_w = width - label_w - value_w
    height = row * (len(spans) + 1) + 40

    def x(v: float) -> float:
        return label_w + plot_w * (v - lo) / span

    parts = [
        f'<line x1="{x(0):.1f}" y1="4" x2="{x(0):.1f}" y2="{height - 30}" stroke="{GRID}" '
        'stroke-dasharray="4 3"/>'
    ]
    for i, (field, comparison, a, b, w) in enumerate([*spans, ("Total", "", 0.0, total, total)]):
        y = 6 + i * row
        colour = PRIOR if field == "prior" else (UP if w >= 0 else DOWN)
        if field == "Total":
            colour = INK
        left, right = sorted((x(a), x(b)))
        name = field.replace("_", " ")
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(name[:26])}</text>"
            f'<rect x="{left:.1f}" y="{y + 4}" width="{max(right - left, 1.5):.1f}" height="{row - 10}" '
            f'fill="{colour}"><title>{escape(name)}: {escape(comparison)} ({w:+.2f})</title></rect>'
            f'<text x="{width - value_w + 6}" y="{y + 17}" font-size="13" fill="{INK}">{w:+.2f}</text>'
        )
    parts.append(
        f'<text x="{label_w}" y="{height - 10}" font-size="12" fill="{INK}">Match weight {total:+.2f} '
        f"= probability {probability(total):.3f}; green raised it, red lowered it</text>"
    )
    return _svg(width, height, label, "".join(parts))


def network(
    nodes: Sequence[tuple[str, str, str]], edges: Sequence[tuple[str, str]], label: str, size: int = 560
) -> SafeString:
    """A network picture: ``nodes`` are (key, kind, label), kinds person/vehicle/store/incident, laid out by a
    fixed-seed spring layout (networkx), so the same group always draws the same way."""
    import networkx as nx

    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(k for k, _, _ in nodes)
    graph.add_edges_from(edges)
    if not nodes:
        return _svg(size, 40, label, f'<text x="0" y="20" font-size="13" fill="{INK}">Nothing to draw</text>')
    pos = nx.spring_layout(graph, seed=7) if len(nodes) > 1 else {nodes[0][0]: (0.0, 0.0)}
    xs = [float(p[0]) for p in pos.values()]
    ys = [float(p[1]) for p in pos.values()]
    pad = 40

    def at(key: str) -> tuple[float, float]:
        px, py = pos[key]
        sx = (float(px) - min(xs)) / ((max(xs) - min(xs)) or 1)
        sy = (float(py) - min(ys)) / ((max(ys) - min(ys)) or 1)
        return pad + sx * (size - 2 * pad), pad + sy * (size - 2 * pad)

    colours = {"person": "#1d3f8f", "vehicle": "#f47738", "store": "#00703c", "incident": "#505a5f"}
    parts = []
    for a, b in edges:
        (x1, y1), (x2, y2) = at(a), at(b)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{GRID}"/>')
    for key, kind, text in nodes:
        cx, cy = at(key)
        r = 9 if kind == "person" else 6
        shape = (
            f'<rect x="{cx - r:.1f}" y="{cy - r:.1f}" width="{2 * r}" height="{2 * r}" '
            f'fill="{colours[kind]}"/>'
            if kind in ("vehicle", "store")
            else f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{colours[kind]}"/>'
        )
        parts.append(f"<g>{shape}<title>{escape(kind)}: {escape(text)}</title></g>")
        if kind != "incident":
            parts.append(
                f'<text x="{cx + r + 3:.1f}" y="{cy + 4:.1f}" font-size="11" fill="{INK}">'
                f"{escape(text[:24])}</text>"
            )
    return _svg(size, size, label, "".join(parts), css="chart network")


def sightings_map(
    points: Sequence[tuple[float, float, str]], label: str, width: int = 560, height: int = 360
) -> SafeString:
    """Places on a plain longitude/latitude plot (no map tiles, so it works offline), labelled by name."""
    if not points:
        return _svg(
            width, 40, label, f'<text x="0" y="20" font-size="13" fill="{INK}">No places to show</text>'
        )
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    pad = 30
    lat_span = (max(lats) - min(lats)) or 0.02
    lon_span = (max(lons) - min(lons)) or 0.02
    parts = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f3f2f1"/>']
    seen: set[str] = set()
    for lat, lon, name in points:
        x = pad + (width - 2 * pad - 120) * (lon - min(lons)) / lon_span
        y = height - pad - (height - 2 * pad) * (lat - min(lats)) / lat_span
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#1d3f8f"><title>{escape(name)}</title></circle>'
        )
        if name not in seen:
            seen.add(name)
            parts.append(
                f'<text x="{x + 9:.1f}" y="{y + 4:.1f}" font-size="12" fill="{INK}">'
                f"{escape(name[:30])}</text>"
            )
    return _svg(width, height, label, "".join(parts))

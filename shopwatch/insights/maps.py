"""The hotspot map's data: hexagons with a colour band and the area they lie in, the force and district
outlines of the dashboard's force area, and the stores displaying marking signage.

The page draws it with Leaflet (``static/insights/map.js``) over a configurable tile server, with the outlines
always underneath, so the map still reads when tiles cannot be reached; the legend and the table beside it are
server-rendered from the same data, so the figures do not depend on JavaScript.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings

from shopwatch.core.models import Organisation

from .outlines import ATTRIBUTION, OUTLINES_PATH
from .scopes import SUPPRESS_BELOW
from .selectors import Dashboard, Figure

# A sequential scale, light to dark, readable on the map tiles and on the plain outlines.
BAND_COLOURS = ["#fdd49e", "#fdae6b", "#f16913", "#d94801", "#8c2d04"]
SUPPRESSED_COLOUR = "#d9d9d9"
SIGNAGE_COLOUR = "#1d70b8"


@dataclass(frozen=True)
class Band:
    colour: str
    low: int
    high: int
    label: str
    css: str


@dataclass(frozen=True)
class HexRow:
    cell: str
    figure: Figure
    band: int  # index into the bands; -1: suppressed
    district: str
    force: str


@lru_cache(maxsize=1)
def _outlines() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(OUTLINES_PATH.read_text())
    for feature in data["features"]:
        ring = feature["geometry"]["coordinates"][0]
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        feature["_bbox"] = (min(xs), min(ys), max(xs), max(ys))
    return data


def _inside(lon: float, lat: float, feature: dict[str, Any]) -> bool:
    x0, y0, x1, y1 = feature["_bbox"]
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        return False
    ring = feature["geometry"]["coordinates"][0]
    inside = False
    for (ax, ay), (bx, by) in itertools.pairwise(ring):
        if (ay > lat) != (by > lat) and lon < ax + (lat - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside


def area_of(lat: float, lon: float, force_slugs: frozenset[str] | None = None) -> tuple[str, str]:
    """The district and force whose outlines hold the point ('' where none does)."""
    district = force = ""
    for feature in _outlines()["features"]:
        props = feature["properties"]
        if force_slugs is not None and props["force"] not in force_slugs:
            continue
        if _inside(lon, lat, feature):
            if props["kind"] == "district" and not district:
                district = props["name"]
            elif props["kind"] == "force" and not force:
                force = props["name"]
        if district and force:
            break
    return district, force


def bands(top: float, low: int = 1) -> list[Band]:
    """Five equal steps from the smallest count shown to the largest hexagon's."""
    top = max(top, low + len(BAND_COLOURS) - 1)
    step = (top - low + 1) / len(BAND_COLOURS)
    out = []
    for i, colour in enumerate(BAND_COLOURS):
        lo = low + round(i * step)
        hi = low + round((i + 1) * step) - 1 if i < len(BAND_COLOURS) - 1 else int(top)
        label = f"{lo:,} to {hi:,} incidents" if hi > lo else f"{lo:,} incident{'' if lo == 1 else 's'}"
        out.append(Band(colour, lo, hi, label, f"band-{i}"))
    return out


def _band_of(value: float, scale: list[Band]) -> int:
    for i, band in enumerate(scale):
        if value <= band.high:
            return i
    return len(scale) - 1


@dataclass
class HotspotMap:
    data: dict[str, Any]  # for map.js, through json_script
    rows: list[HexRow]
    bands: list[Band]
    has_signage: bool
    tiles: bool


def hotspot_map(board: Dashboard, signage: list[dict[str, Any]] | None = None) -> HotspotMap:
    """What the dashboard's map draws: hexagons (banded, named by area), outlines, signage stores."""
    forces = Organisation.objects.in_bulk(list(board.scope.force_ids))
    slugs = frozenset(o.slug for o in forces.values())
    top = max((f.value or 0 for _, f, _ in board.hexes), default=0)
    scale = bands(top, SUPPRESS_BELOW if board.scope.suppress else 1)
    rows: list[HexRow] = []
    hexes = []
    for cell, fig, boundary in board.hexes:
        lat = sum(p[0] for p in boundary) / len(boundary)
        lon = sum(p[1] for p in boundary) / len(boundary)
        district, force = area_of(lat, lon, slugs or None)
        band = -1 if fig.value is None else _band_of(fig.value, scale)
        rows.append(HexRow(cell, fig, band, district, force))
        hexes.append(
            {
                "boundary": [[round(a, 5), round(b, 5)] for a, b in boundary],
                "display": fig.display,
                "colour": SUPPRESSED_COLOUR if band < 0 else scale[band].colour,
                "area": ", ".join(x for x in (district, force) if x) or "Outside the outlined areas",
            }
        )
    districts = {r.district for r in rows if r.district}
    outlines = [
        {k: v for k, v in f.items() if k != "_bbox"}
        for f in _outlines()["features"]
        if f["properties"]["force"] in slugs
    ]
    for f in outlines:
        f["properties"] = {**f["properties"], "labelled": f["properties"]["name"] in districts}
    tiles_url = getattr(settings, "SHOPWATCH_MAP_TILES_URL", "")
    data = {
        "hexes": hexes,
        "outlines": {"type": "FeatureCollection", "features": outlines},
        "outlines_attribution": ATTRIBUTION,
        "signage": signage or [],
        "signage_colour": SIGNAGE_COLOUR,
        "tiles_url": tiles_url,
        "tiles_attribution": getattr(settings, "SHOPWATCH_MAP_TILES_ATTRIBUTION", ""),
    }
    return HotspotMap(data, rows, scale, bool(signage), bool(tiles_url))

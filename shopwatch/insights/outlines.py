"""Force and district outlines for the dashboards' maps, derived from data.police.uk street-level files.

No boundary files travel with ShopWatch, but every street-level crime carries a point (longitude, latitude)
anonymised to a spot in its LSOA, the force it "falls within" and the LSOA's name, whose first words are the
local authority district ("Brighton and Hove 027A"). A district's outline is the convex hull of its points
(stray points far from the rest dropped); a force's is the hull of the points of the districts in its area
(``opendata.forces``: so a row that carries an area outside its force does not stretch the force). The
coordinates are rounded to 3 decimals (about 100 m): a simplified outline to read a map by, not a boundary.

The result is a GeoJSON FeatureCollection shipped as ``insights/static/insights/outlines.geojson`` and drawn
under every hotspot map, whether or not map tiles can be reached.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from shopwatch.opendata.forces import DISTRICT_FORCE, FORCES, NATIONAL_FORCES, district_of

OUTLINES_PATH = Path(__file__).resolve().parent / "static" / "insights" / "outlines.geojson"
ATTRIBUTION = (
    "Outlines derived from data.police.uk street-level crime locations. Contains public sector information "
    "licensed under the Open Government Licence v3.0."
)
DECIMALS = 3
MIN_FORCE_ROWS = 100
FORCE_BY_NAME = {f.name: f.slug for f in FORCES.values()}

Point = tuple[float, float]  # (longitude, latitude)


def street_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every street-level CSV under the given files and folders (outcome files are skipped)."""
    out: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        candidates = sorted(p.rglob("*.csv")) if p.is_dir() else [p]
        out.update(c for c in candidates if "-street" in c.name)
    return sorted(out)


def _rows(files: Iterable[Path]) -> Iterator[tuple[str, str, Point]]:
    for path in files:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                lon, lat, lsoa = row.get("Longitude"), row.get("Latitude"), row.get("LSOA name") or ""
                if not lon or not lat or not lsoa.strip():
                    continue
                try:
                    point = (round(float(lon), DECIMALS), round(float(lat), DECIMALS))
                except ValueError:
                    continue
                yield row.get("Falls within") or "", district_of(lsoa), point


def convex_hull(points: Iterable[Point]) -> list[Point]:
    """The convex hull, anticlockwise, first point not repeated (Andrew's monotone chain)."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _without_strays(points: set[Point]) -> set[Point]:
    """Drop points more than three times the 90th-percentile distance from the median point."""
    if len(points) < 10:
        return points
    lons = sorted(p[0] for p in points)
    lats = sorted(p[1] for p in points)
    mid = (lons[len(lons) // 2], lats[len(lats) // 2])
    k = math.cos(math.radians(mid[1]))

    def dist(p: Point) -> float:
        return math.hypot((p[0] - mid[0]) * k, p[1] - mid[1])

    d = sorted(dist(p) for p in points)
    limit = max(3 * d[int(0.9 * (len(d) - 1))], 0.01)
    return {p for p in points if dist(p) <= limit}


def _feature(kind: str, name: str, force: str, points: set[Point], rows: int) -> dict[str, Any] | None:
    hull = convex_hull(points)
    if len(hull) < 3:
        return None
    ring = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in [*hull, hull[0]]]
    lon = sum(p[0] for p in hull) / len(hull)
    lat = sum(p[1] for p in hull) / len(hull)
    return {
        "type": "Feature",
        "properties": {
            "kind": kind,
            "name": name,
            "force": force,
            "force_name": FORCES[force].name if force in FORCES else force,
            "label": [round(lat, DECIMALS), round(lon, DECIMALS)],
            "rows": rows,
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def build_outlines(files: Iterable[Path]) -> dict[str, Any]:
    """Outlines of every force and district with located rows in the files, as a GeoJSON collection."""
    points: dict[str, set[Point]] = defaultdict(set)
    rows: Counter[str] = Counter()
    falls_within: dict[str, Counter[str]] = defaultdict(Counter)
    force_rows_in_files: Counter[str] = Counter()
    months: set[str] = set()
    files = list(files)
    for force_name, district, point in _rows(files):
        points[district].add(point)
        rows[district] += 1
        slug = FORCE_BY_NAME.get(force_name)
        if slug and slug not in NATIONAL_FORCES:
            falls_within[district][slug] += 1
            force_rows_in_files[slug] += 1
    for f in files:
        months.add(f.name[:7])
    district_force: dict[str, str] = {}
    for district in points:
        force = DISTRICT_FORCE.get(district)
        if force is None and falls_within[district]:
            force = falls_within[district].most_common(1)[0][0]
        # Only forces whose own files are here: a few stray rows do not make an outline of a force.
        if force is not None and force_rows_in_files[force] >= MIN_FORCE_ROWS:
            district_force[district] = force
    features: list[dict[str, Any]] = []
    force_points: dict[str, set[Point]] = defaultdict(set)
    force_rows: Counter[str] = Counter()
    for district in sorted(district_force):
        force = district_force[district]
        kept = _without_strays(points[district])
        force_points[force] |= kept
        force_rows[force] += rows[district]
        feature = _feature("district", district, force, kept, rows[district])
        if feature is not None:
            features.append(feature)
    forces = [
        outline
        for force in sorted(force_points)
        if (outline := _feature("force", FORCES[force].name, force, force_points[force], force_rows[force]))
    ]
    return {
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "source": "data.police.uk street-level crime files, "
        + (f"{min(months)} to {max(months)}" if months else "none"),
        "features": forces + features,
    }

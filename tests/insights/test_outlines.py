"""The maps' force and district outlines, built by `shopwatch map_outlines` from data.police.uk files."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shopwatch.insights.outlines import ATTRIBUTION, OUTLINES_PATH
from tests.shared_data import DATA as SHARED_DATA

STREET = SHARED_DATA / "police-uk" / "street" / "2024-01"


def _inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting: whether the point lies inside the closed ring."""
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _by_name(collection: dict[str, object], kind: str) -> dict[str, dict[str, object]]:
    features = collection["features"]
    assert isinstance(features, list)
    return {f["properties"]["name"]: f for f in features if f["properties"]["kind"] == kind}


def test_outlines_of_forces_and_districts_from_street_files(tmp_path: Path) -> None:
    out = tmp_path / "outlines.geojson"
    call_command(
        "map_outlines",
        str(STREET / "2024-01-sussex-street.csv"),
        str(STREET / "2024-01-hampshire-street.csv"),
        out=str(out),
    )
    collection = json.loads(out.read_text())
    assert collection["type"] == "FeatureCollection"
    assert "Open Government Licence v3.0" in collection["attribution"]
    assert collection["source"].endswith("2024-01 to 2024-01")
    forces = _by_name(collection, "force")
    districts = _by_name(collection, "district")
    # Two forces' own files: two force outlines, and no outline for a force seen only in stray rows.
    assert set(forces) == {"Sussex Police", "Hampshire Constabulary"}
    brighton = districts["Brighton and Hove"]
    assert brighton["properties"]["force"] == "sussex"  # type: ignore[index]
    ring = brighton["geometry"]["coordinates"][0]  # type: ignore[index]
    assert ring[0] == ring[-1]
    # Brighton's clock tower lies in Brighton and Hove and in Sussex; Southampton in neither.
    assert _inside(-0.1416, 50.8247, ring)
    assert not _inside(-1.4044, 50.9097, ring)
    sussex_ring = forces["Sussex Police"]["geometry"]["coordinates"][0]  # type: ignore[index]
    assert _inside(-0.1416, 50.8247, sussex_ring)
    assert _inside(-0.1872, 51.1091, sussex_ring)  # Crawley
    assert not _inside(-1.4044, 50.9097, sussex_ring)
    assert _inside(-1.4044, 50.9097, districts["Southampton"]["geometry"]["coordinates"][0])  # type: ignore[index]
    # Simplified: coordinates rounded to 3 decimals, a handful of points per outline.
    assert all(round(x, 3) == x and round(y, 3) == y for x, y in ring)
    assert len(sussex_ring) < 60
    label_lat, label_lon = brighton["properties"]["label"]  # type: ignore[index]
    assert _inside(label_lon, label_lat, ring)


def test_the_shipped_outlines_cover_the_forces_in_the_shared_data() -> None:
    collection = json.loads(OUTLINES_PATH.read_text())
    assert collection["attribution"] == ATTRIBUTION
    forces = _by_name(collection, "force")
    assert {"Sussex Police", "Thames Valley Police", "Lancashire Constabulary"} <= set(forces)
    assert "Oxford" in _by_name(collection, "district")


def test_no_street_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"No data\.police\.uk street-level files"):
        call_command("map_outlines", str(tmp_path), out=str(tmp_path / "x.geojson"))

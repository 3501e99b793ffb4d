"""The hotspot map's data (hexagons named by area and banded, outlines of the scope's force area, signage
stores) and the prevention panels on the PCC and partnership dashboards."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.core.models import AuditEvent
from shopwatch.insights.maps import area_of, bands
from shopwatch.marking import services as marking
from tests.core.support import sign_in_verified
from tests.world import World

pytestmark = pytest.mark.django_db


def _map_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="hotspot-map-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page carries the map's data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_areas_are_named_from_the_shipped_outlines() -> None:
    assert area_of(50.8247, -0.1416) == ("Brighton and Hove", "Sussex Police")
    assert area_of(51.7520, -1.2577) == ("Oxford", "Thames Valley Police")
    assert area_of(50.8247, -0.1416, frozenset({"thames-valley"})) == ("", "")
    assert area_of(48.8566, 2.3522) == ("", "")  # Paris: outside every outline


def test_bands_step_evenly_from_the_smallest_count_shown() -> None:
    scale = bands(104, low=5)
    assert [(b.low, b.high) for b in scale] == [(5, 24), (25, 44), (45, 64), (65, 84), (85, 104)]
    # Few incidents: one count a band, from 1 where small counts are shown.
    labels = [b.label for b in bands(3)]
    assert labels == ["1 incident", "2 incidents", "3 incidents", "4 incidents", "5 incidents"]


def test_pcc_dashboard_map_legend_table_and_prevention(world: World, client: Client) -> None:
    now = timezone.now()
    for i in range(12):
        world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=i + 1))
    world.report("connected_reporter", "kiosk-crawley", occurred_at=now - dt.timedelta(days=2))
    marking.signage_set(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        displayed=True,
    )
    sign_in_verified(client, world.users["pcc"])
    html = client.get("/insights/pcc/sussex-pcc/").content.decode()
    data = _map_data(html)
    hexes = data["hexes"]
    assert isinstance(hexes, list)
    by_area = {h["area"]: h for h in hexes}
    assert by_area["Brighton and Hove, Sussex Police"]["display"] == "12"
    # Crawley's single incident is suppressed: grey, no number.
    crawley = next(h for h in hexes if h["area"].startswith("Crawley"))
    assert crawley["display"] == "<5"
    assert crawley["colour"] == "#d9d9d9"
    outlines = data["outlines"]
    assert isinstance(outlines, dict)
    forces = {f["properties"]["force"] for f in outlines["features"]}
    assert forces == {"sussex"}
    labelled = {f["properties"]["name"] for f in outlines["features"] if f["properties"]["labelled"]}
    assert {"Brighton and Hove", "Crawley"} <= labelled
    assert data["tiles_url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert [s["name"] for s in data["signage"]] == [world.stores["nw-brighton"].name]
    # Legend, table alternative, prevention panels.
    assert "Map legend" in html
    assert "fewer than 5 incidents" in html
    assert "Store displaying forensic-marking signage" in html
    assert "<td>Brighton and Hove</td><td>Sussex Police</td><td>12</td>" in html
    assert "Does diversion work? The Navigator, before and since" in html
    assert "Forensic marking in use" in html
    assert "Security self-assessments" in html
    assert "not yet taking part" not in html  # names businesses: partnership managers only
    for kind in ("navigator_outcomes", "marking_use", "assessment_uptake"):
        assert AuditEvent.objects.filter(actor=world.users["pcc"], object_type=kind).exists()


def test_partnership_dashboard_lists_stores_not_taking_part(world: World, client: Client) -> None:
    now = timezone.now()
    for i in range(3):
        world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=i + 1))
    sign_in_verified(client, world.users["partnership_manager"])
    html = client.get("/insights/partnership/brighton-bcrp/").content.decode()
    assert "Businesses with repeated incidents not yet taking part" in html
    assert f"{world.stores['nw-brighton'].name}, Town: 3 incidents" in html
    assert "Does diversion work?" not in html  # the Navigator's figures are the PCC office's
    assert _map_data(html)["hexes"]


def test_the_page_policy_allows_images_from_the_configured_tile_server(world: World, client: Client) -> None:
    from shopwatch.settings import _tile_origin

    assert _tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == [
        "https://tile.openstreetmap.org"
    ]
    assert _tile_origin("https://{s}.tiles.example.org/{z}/{x}/{y}.png") == ["https://*.tiles.example.org"]
    assert _tile_origin("") == []
    sign_in_verified(client, world.users["pcc"])
    response = client.get("/insights/pcc/sussex-pcc/")
    policy = response["Content-Security-Policy"]
    img_src = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert "https://tile.openstreetmap.org" in img_src
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src
    html = response.content.decode()
    assert "/static/leaflet/leaflet.js" in html
    assert "/static/insights/map.js" in html
    assert " style=" not in html.split("<main", 1)[1]

"""The installable web app's pieces, through Django's test client (the journeys are in tests/browser)."""

from __future__ import annotations

import json

from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from tests.world import World


def test_the_service_worker_is_served_at_the_root_for_the_whole_site(client: Client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert 'importScripts("/static/shopwatch/offline-queue.js")' in body
    assert '["/incidents/new/", "/incidents/waiting/", "/incidents/"]' in body


def test_the_manifest_starts_on_the_report_form_with_real_png_icons() -> None:
    path = finders.find("shopwatch/manifest.webmanifest")
    assert isinstance(path, str)
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    assert manifest["start_url"] == "/incidents/new/"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert isinstance(found, str)
        with Image.open(found) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]


def test_every_signed_in_page_links_the_manifest_and_offline_scripts(world: World) -> None:
    client = Client()
    client.force_login(world.users["reporter"])
    page = client.get("/incidents/waiting/").content.decode()
    assert '<link rel="manifest" href="/static/shopwatch/manifest.webmanifest">' in page
    assert 'data-sw-url="/sw.js"' in page
    assert "/static/shopwatch/offline.js" in page
    assert f'<meta name="shopwatch-user" content="{world.users["reporter"].pk}">' in page
    assert client.get("/incidents/waiting/").status_code == 200
    assert Client().get("/incidents/waiting/").status_code == 302  # signed out: to the sign-in page

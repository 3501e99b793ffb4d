"""From a report's page an officer goes straight back to the police view; store staff are not offered it."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from tests.world import World


def test_the_incident_page_links_back_to_the_police_view(world: World, web: Callable[[str], Client]) -> None:
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    link = f'href="/police/incidents/{incident.pk}/"'
    officer = web("police_sussex").get(f"/incidents/{incident.pk}/")
    assert officer.status_code == 200
    assert link in officer.content.decode()
    assert web("police_sussex").get(f"/police/incidents/{incident.pk}/").status_code == 200
    store = web("reporter").get(f"/incidents/{incident.pk}/")
    assert store.status_code == 200
    assert link not in store.content.decode()

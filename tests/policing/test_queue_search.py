"""The triage queue finds a report by the reference printed on it."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from shopwatch.reporting.models import Incident
from tests.world import World


def test_queue_search_by_printed_reference(world: World, web: Callable[[str], Client]) -> None:
    wanted = world.report("reporter", "nw-brighton", report_to_police=True, description="Took razors")
    other = world.report("reporter", "nw-brighton", report_to_police=True, description="Took cheese")
    client = web("police_sussex")
    page = client.get("/police/queue/", {"reference": wanted.reference.lower()})
    assert page.status_code == 200
    html = page.content.decode()
    assert wanted.reference in html
    assert other.reference not in html
    assert f'value="{wanted.reference.lower()}"' in html


def test_queue_search_reads_a_reference_as_written(world: World, web: Callable[[str], Client]) -> None:
    wanted = world.report("reporter", "nw-brighton", report_to_police=True, description="Took razors")
    other = world.report("reporter", "nw-brighton", report_to_police=True, description="Took cheese")
    # A reference with the digits that look like letters, as a printed notice might show it.
    Incident.objects.filter(pk=wanted.pk).update(reference="SW-10S8-GXH0")
    client = web("police_sussex")
    for typed in ("sw-10s8-gxh0", "SW10S8GXH0", "sw 10s8 gxh0", " SW-IOS8-GXHO ", "sw-lOs8-gxho", "GXH0"):
        html = client.get("/police/queue/", {"reference": typed}).content.decode()
        assert "SW-10S8-GXH0" in html, typed
        assert other.reference not in html, typed
    nothing = client.get("/police/queue/", {"reference": "SW-10S8-GXH9"}).content.decode()
    assert "SW-10S8-GXH0" not in nothing
    assert other.reference not in nothing

"""The triage queue finds a report by the reference printed on it."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

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

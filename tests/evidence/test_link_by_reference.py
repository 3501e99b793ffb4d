"""Linking a file to a further incident accepts the reference as printed, in any case and without dashes."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from shopwatch.evidence import linking
from tests.evidence.test_links import _incident, _photo
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.mark.django_db
def test_a_file_is_linked_to_an_incident_named_without_dashes(world: World) -> None:
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "reporter", "nw-brighton")
    evidence = _photo(world, a)
    written = " " + b.reference.lower().replace("-", " ") + " "
    link = linking.evidence_link(
        viewer=world.viewer("manager"), evidence_id=evidence.pk, incident=written, reason="Same CCTV"
    )
    assert link.incident_id == b.pk

"""Keyset pages (core.pagination): every row once, in order, even when the first key ties."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shopwatch.core.pagination import Key, keyset_after, keyset_page, newest, parse_int
from shopwatch.reporting.models import Incident
from tests.world import World


def test_pages_of_tied_times_give_every_incident_once_newest_first(world: World) -> None:
    same = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    for i in range(7):
        world.report("reporter", "nw-brighton", occurred_at=same if i % 2 else same - dt.timedelta(minutes=i))
    keys = newest("occurred_at")
    seen: list[int] = []
    after = None
    while True:
        rows, after = keyset_page(Incident.objects.all(), keys, after, 3)
        seen += [r.pk for r in rows]
        if after is None:
            break
    expected = list(Incident.objects.order_by("-occurred_at", "-id").values_list("pk", flat=True))
    assert seen == expected
    assert len(seen) == 7


def test_a_cursor_of_the_wrong_shape_is_refused() -> None:
    keys = (Key("priority"), Key("id", parse=parse_int))
    with pytest.raises(ValueError, match="does not match"):
        keyset_after(keys, ["P1"])
    with pytest.raises(ValueError, match="not a date and time"):
        keyset_after(newest(), ["not a time", 3])
    with pytest.raises(ValueError, match="invalid literal"):
        keyset_after(keys, ["P1", "x"])

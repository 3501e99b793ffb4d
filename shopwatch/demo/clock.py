"""The demo world's own clock for the steps that go through the product's services.

Those services read ``django.utils.timezone.now()`` (directly, and through model field defaults such as the
audit trail's ``at``). Left on the wall clock, the police work and alerts made after the incidents would carry
the time the seed happened to run, so the same seed would not give the same data twice. Inside
``seeded_clock(at)`` every reading of ``timezone.now()`` gives ``at`` plus one second per earlier reading:
the same sequence of calls gives the same times, in the order they were made."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone

TICK = dt.timedelta(seconds=1)


@contextmanager
def seeded_clock(at: dt.datetime) -> Iterator[None]:
    """Make ``timezone.now()`` read ``at``, ``at + 1 s``, ``at + 2 s``, ... until the block ends."""
    if timezone.is_naive(at):
        raise ValueError("seeded_clock needs an aware datetime")
    base = at.astimezone(dt.UTC)
    ticks = itertools.count()

    class _Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            reading = base + next(ticks) * TICK
            return reading.astimezone(tz) if tz is not None else reading.replace(tzinfo=None)

    # timezone.now() (and every field default that is timezone.now) looks up `datetime` in its module when
    # called, so replacing that name reaches them all; _Clock is a datetime, so the module's other uses hold.
    with mock.patch.object(timezone, "datetime", _Clock):
        yield

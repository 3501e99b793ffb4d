"""Keyset pagination: pages that stay right while records are added, and cost the same on page 1 or 1,000.

A list is ordered by a few keys ending in a unique one (``id``); the cursor for the next page is the last
row's values of those keys, and the next page is every row strictly after it in that order. Selectors
describe their order once, as ``Key``s, and get both the filter and the cursor from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


def parse_when(value: object) -> dt.datetime:
    """A cursor's date and time (ISO 8601); ValueError when it is not one."""
    when = parse_datetime(str(value))
    if when is None:
        raise ValueError(f"not a date and time: {value!r}")
    return when


def parse_int(value: object) -> int:
    return int(str(value))


@dataclass(frozen=True)
class Key:
    """One key of a list's order: a field (or annotation), its direction and how a cursor value is read."""

    field: str
    descending: bool = False
    parse: Callable[[object], Any] = str

    def cursor_value(self, row: object) -> object:
        value = getattr(row, self.field)
        return value.isoformat() if isinstance(value, dt.datetime) else value

    @property
    def order(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def newest(field: str = "created_at") -> tuple[Key, Key]:
    """Newest first by ``field``, then by id."""
    return (Key(field, descending=True, parse=parse_when), Key("id", descending=True, parse=parse_int))


def oldest_id() -> tuple[Key]:
    return (Key("id", parse=parse_int),)


def keyset_after(keys: Sequence[Key], after: Sequence[object]) -> Q:
    """Rows strictly after the cursor ``after`` in the order of ``keys``; ValueError for a bad cursor."""
    if len(after) != len(keys):
        raise ValueError("the cursor does not match the list's order")
    values = [key.parse(value) for key, value in zip(keys, after, strict=True)]
    branches = []
    for i, key in enumerate(keys):
        equal = {k.field: v for k, v in zip(keys[:i], values[:i], strict=True)}
        beyond = {f"{key.field}__{'lt' if key.descending else 'gt'}": values[i]}
        branches.append(Q(**equal, **beyond))
    return reduce(or_, branches)


def keyset_order(queryset: QuerySet[M], keys: Sequence[Key], after: Sequence[object] | None) -> QuerySet[M]:
    """``queryset`` in the order of ``keys``, from just after the cursor (from the start when None)."""
    if after:
        queryset = queryset.filter(keyset_after(keys, after))
    return queryset.order_by(*(key.order for key in keys))


def keyset_cursor(keys: Sequence[Key], last: object) -> list[object]:
    """The cursor that continues after row ``last``."""
    return [key.cursor_value(last) for key in keys]


def keyset_page(
    queryset: QuerySet[M], keys: Sequence[Key], after: Sequence[object] | None, limit: int
) -> tuple[list[M], list[object] | None]:
    """One page of at most ``limit`` rows after the cursor, and the cursor for the next page (None: last)."""
    rows = list(keyset_order(queryset, keys, after)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, keyset_cursor(keys, rows[-1])

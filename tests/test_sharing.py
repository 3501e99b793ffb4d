"""A copied or derived record may only narrow its distribution, never widen it."""

from __future__ import annotations

import itertools

import pytest

from shopwatch.core.models import Distribution
from shopwatch.core.sharing import narrow_distribution

D = Distribution
ORDERED: list[str] = [D.ORGANISATION, D.PARTNERSHIP, D.CONNECTED, D.ALL_PARTNERSHIPS, D.POLICE]

# Who a level reaches, as a set of audiences; a narrower level's audience is a subset of a wider one's.
# (A named group reaches its own members; the owner always sees their own records.)
REACH: dict[str, frozenset[str]] = {
    D.ORGANISATION: frozenset({"owner"}),
    D.PARTNERSHIP: frozenset({"owner", "partnership"}),
    D.CONNECTED: frozenset({"owner", "partnership", "network"}),
    D.ALL_PARTNERSHIPS: frozenset({"owner", "partnership", "network", "all"}),
    D.POLICE: frozenset({"owner", "partnership", "network", "all", "police"}),
}


def reach(level: str, group: int | None) -> frozenset[str]:
    if level == D.GROUP:
        return frozenset({"owner", f"group-{group}"})
    return REACH[level]


GROUPS = [None, 1, 2]
CASES = [
    (parent, pg, requested, rg)
    for parent, requested in itertools.product(D.values, D.values)
    for pg in (GROUPS[1:] if parent == D.GROUP else [None])
    for rg in (GROUPS[1:] if requested == D.GROUP else [None])
]


@pytest.mark.parametrize(
    ("parent", "parent_group", "requested", "requested_group"),
    CASES,
    ids=[f"{p}{'#' + str(pg) if pg else ''}->{r}{'#' + str(rg) if rg else ''}" for p, pg, r, rg in CASES],
)
def test_a_derived_record_never_reaches_further_than_its_parent(
    parent: str, parent_group: int | None, requested: str, requested_group: int | None
) -> None:
    level, group = narrow_distribution(
        parent, requested, parent_group_id=parent_group, requested_group_id=requested_group
    )
    assert level in D.values
    assert reach(level, group) <= reach(parent, parent_group)
    assert reach(level, group) <= reach(requested, requested_group)


@pytest.mark.parametrize(("parent", "requested"), list(itertools.product(ORDERED, ORDERED)))
def test_ordered_levels_take_the_narrower_of_the_two(parent: str, requested: str) -> None:
    expected = ORDERED[min(ORDERED.index(parent), ORDERED.index(requested))]
    assert narrow_distribution(parent, requested) == (expected, None)


def test_the_same_group_stays_in_that_group() -> None:
    assert narrow_distribution(D.GROUP, D.GROUP, parent_group_id=7, requested_group_id=7) == (D.GROUP, 7)


@pytest.mark.parametrize(
    ("parent", "pg", "requested", "rg"),
    [
        (D.GROUP, 7, D.GROUP, 8),
        (D.GROUP, 7, D.POLICE, None),
        (D.GROUP, 7, D.PARTNERSHIP, None),
        (D.POLICE, None, D.GROUP, 7),
        (D.PARTNERSHIP, None, D.GROUP, 7),
    ],
    ids=["other-group", "group-to-police", "group-to-partnership", "police-to-group", "partnership-to-group"],
)
def test_a_group_is_not_comparable_with_other_audiences_so_it_falls_back_to_the_owner(
    parent: str, pg: int | None, requested: str, rg: int | None
) -> None:
    assert narrow_distribution(parent, requested, parent_group_id=pg, requested_group_id=rg) == (
        D.ORGANISATION,
        None,
    )


@pytest.mark.parametrize("parent", D.values)
def test_organisation_only_is_always_allowed(parent: str) -> None:
    assert narrow_distribution(parent, D.ORGANISATION, parent_group_id=3 if parent == D.GROUP else None) == (
        D.ORGANISATION,
        None,
    )


def test_narrowing_twice_is_the_same_as_narrowing_once() -> None:
    for a, b, c in itertools.product(ORDERED, repeat=3):
        once = narrow_distribution(a, ORDERED[min(ORDERED.index(b), ORDERED.index(c))])
        twice = narrow_distribution(narrow_distribution(a, b)[0], c)
        assert once == twice

"""Distribution levels: what is wider than what, and how a derived record may only narrow."""

from __future__ import annotations

from .models import Distribution

_RANK = {
    Distribution.ORGANISATION: 0,
    Distribution.PARTNERSHIP: 1,
    Distribution.CONNECTED: 2,
    Distribution.ALL_PARTNERSHIPS: 3,
    Distribution.POLICE: 4,
}


def narrow_distribution(
    parent: str, requested: str, *, parent_group_id: int | None = None, requested_group_id: int | None = None
) -> tuple[str, int | None]:
    """The distribution a copy or derived record gets: never wider than its parent's.

    Ordered levels take the narrower of the two. A named sharing group is comparable only with
    itself and with "organisation only"; anything else falls back to the owner alone.
    """
    if requested == Distribution.ORGANISATION:
        return Distribution.ORGANISATION, None
    if parent == Distribution.GROUP or requested == Distribution.GROUP:
        if parent == requested == Distribution.GROUP and parent_group_id == requested_group_id:
            return Distribution.GROUP, parent_group_id
        return Distribution.ORGANISATION, None
    if _RANK[Distribution(requested)] <= _RANK[Distribution(parent)]:
        return requested, None
    return parent, None

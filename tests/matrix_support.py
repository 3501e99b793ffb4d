"""What the permission matrices share: the people of the test world (tests/world.py), each standing in one
relation to the world's records, in the order the matrices list them."""

from __future__ import annotations

EVERYONE = [
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "connected_reporter",
    "unconnected_reporter",
    "partnership_manager",
    "connected_partnership_manager",
    "unconnected_partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "police_tv",
    "pcc",
    "navigator",
    "admin",
]


def nobody_but(**sees: set[str]) -> dict[str, set[str]]:
    """Everyone sees nothing, except those named, who see the records keyed as given."""
    unknown = set(sees) - set(EVERYONE)
    assert not unknown, f"not in the test world: {sorted(unknown)}"
    return {name: set() for name in EVERYONE} | sees

"""Every incident reference as people write it is read the same way (core/references.py)."""

from __future__ import annotations

import pytest

from shopwatch.core.references import (
    crime_reference_key,
    incident_reference,
    incident_references,
    parse_record_name,
)


@pytest.mark.parametrize(
    "typed",
    [
        "SW-75S8-GXH0",
        "sw-75s8-gxh0",
        "SW75S8GXH0",
        "sw 75s8 gxh0",
        " SW–75S8–GXH0 ",
        "SW-75S8-GXHO",
        "sw.75s8.gxh0",
    ],
)
def test_an_incident_reference_is_read_in_any_case_with_or_without_dashes(typed: str) -> None:
    assert incident_reference(typed) == "SW-75S8-GXH0"


@pytest.mark.parametrize(
    "typed", ["", "Danny Fletcher", "SW-75S8", "XSW-75S8-GXH0", "SW-75S8-GXH0-1234", "1234"]
)
def test_text_that_is_not_one_reference_is_none(typed: str) -> None:
    assert incident_reference(typed) is None


def test_references_in_a_list_are_found_once_each_in_order() -> None:
    text = "sw-7kq3-m9x2, SW7KQ3M9X2 and SW 75S8 GXH0; also swab"
    assert incident_references(text) == ["SW-7KQ3-M9X2", "SW-75S8-GXH0"]


def test_a_record_name_says_what_it_is() -> None:
    assert parse_record_name("  sw75s8gxh0 ").incident_reference == "SW-75S8-GXH0"
    assert parse_record_name("42").record_id == 42
    name = parse_record_name("  Danny   Fletcher ")
    assert (name.words, name.record_id, name.incident_reference) == ("Danny Fletcher", None, None)


def test_crime_references_compare_without_separators() -> None:
    assert crime_reference_key("47/2026/0001234") == crime_reference_key("47 2026 0001234") == "4720260001234"

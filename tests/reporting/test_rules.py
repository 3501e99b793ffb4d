"""Retail Crime Action Plan priority and Home Office Counting Rules offence classes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopwatch.reporting.models import Flag, IncidentType, Priority
from shopwatch.reporting.rules import (
    HIGH_VALUE_THRESHOLD,
    VERY_HIGH_VALUE_THRESHOLD,
    IncidentFacts,
    classify_offence,
    compute_priority,
)


def facts(
    type: str = IncidentType.THEFT, flags: tuple[str, ...] = (), value: str = "0", **kw: bool
) -> IncidentFacts:
    return IncidentFacts(type=type, flags=frozenset(flags), goods_value=Decimal(value), **kw)


# --- Priority -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        facts(flags=(Flag.VIOLENCE,)),
        facts(flags=(Flag.WEAPON,)),
        facts(flags=(Flag.OFFENDER_DETAINED,)),
        facts(type=IncidentType.ROBBERY),
        facts(type=IncidentType.VIOLENCE),
        facts(flags=(Flag.OFFENDER_NEARBY, Flag.STAFF_INJURED)),
        facts(type=IncidentType.FRAUD, flags=(Flag.WEAPON,)),
    ],
    ids=[
        "violence",
        "weapon",
        "detained",
        "robbery",
        "violence-type",
        "nearby-and-injured",
        "weapon-on-fraud",
    ],
)
def test_attend_now_is_p1(f: IncidentFacts) -> None:
    result = compute_priority(f)
    assert result.priority == Priority.P1
    assert result.reasons


@pytest.mark.parametrize(
    ("f", "reason"),
    [
        (facts(prolific_offender=True, repeat_offender=True), "Prolific offender"),
        (facts(repeat_offender=True), "Repeat offender"),
        (facts(juvenile_offender=True), "Juvenile offender"),
        (facts(value="200.01"), "High value (over £200)"),
        (facts(value="1000.01"), "Very high value (over £1,000)"),
        (facts(flags=(Flag.HATE,)), "Hate-related"),
        (facts(flags=(Flag.STAFF_INJURED,)), "Staff injured"),
        (facts(flags=(Flag.OFFENDER_NEARBY,)), "Offender still nearby: evidence can be secured in person"),
        (facts(type=IncidentType.ANTISOCIAL_BEHAVIOUR, juvenile_offender=True), "Juvenile offender"),
    ],
    ids=[
        "prolific",
        "repeat",
        "juvenile",
        "high-value",
        "very-high-value",
        "hate",
        "injured-alone",
        "nearby-alone",
        "juvenile-asb",
    ],
)
def test_aggravating_facts_raise_to_p2_and_say_why(f: IncidentFacts, reason: str) -> None:
    result = compute_priority(f)
    assert result.priority == Priority.P2
    assert reason in result.reasons
    assert result.score > 0


def test_prolific_replaces_repeat_rather_than_adding_to_it() -> None:
    result = compute_priority(facts(prolific_offender=True, repeat_offender=True))
    assert result.reasons == ["Prolific offender"]


@pytest.mark.parametrize(
    ("value", "priority"),
    [
        ("0", "P3"),
        ("199.99", "P3"),
        (str(HIGH_VALUE_THRESHOLD), "P3"),
        ("200.01", "P2"),
        (str(VERY_HIGH_VALUE_THRESHOLD), "P2"),
        ("5000", "P2"),
    ],
)
def test_value_thresholds_are_strictly_above(value: str, priority: str) -> None:
    assert compute_priority(facts(value=value)).priority == priority


@pytest.mark.parametrize(
    ("incident_type", "priority"),
    [
        (IncidentType.THEFT, "P3"),
        (IncidentType.THREATS_ABUSE, "P3"),
        (IncidentType.CRIMINAL_DAMAGE, "P3"),
        (IncidentType.BURGLARY, "P3"),
        (IncidentType.ANTISOCIAL_BEHAVIOUR, "P4"),
        (IncidentType.FRAUD, "P4"),
        (IncidentType.OTHER, "P4"),
    ],
)
def test_plain_reports_are_standard_or_record_only(incident_type: str, priority: str) -> None:
    result = compute_priority(facts(type=incident_type))
    assert result.priority == priority
    assert result.reasons == []
    assert result.score == 0


def test_more_aggravation_never_lowers_the_score_and_the_score_fits_its_column() -> None:
    everything = facts(
        type=IncidentType.ROBBERY,
        flags=tuple(Flag.values),
        value="50000",
        prolific_offender=True,
        juvenile_offender=True,
    )
    result = compute_priority(everything)
    assert result.priority == Priority.P1
    assert 0 < result.score <= 255
    assert (
        compute_priority(facts(flags=(Flag.HATE,))).score
        < compute_priority(facts(flags=(Flag.HATE, Flag.STAFF_INJURED))).score
    )


# --- Offence classes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incident_type", "flags", "value", "code", "label_part"),
    [
        (IncidentType.THEFT, (), "20", "46", "low value"),
        (IncidentType.THEFT, (), "200", "46", "low value"),
        (IncidentType.THEFT, (), "200.01", "46", "Shoplifting"),
        (IncidentType.ROBBERY, (), "0", "34A", "business property"),
        (IncidentType.ROBBERY, (Flag.VIOLENCE, Flag.STAFF_INJURED), "0", "34A", "Robbery"),
        (IncidentType.BURGLARY, (), "0", "30C", "Burglary"),
        (IncidentType.VIOLENCE, (), "0", "105A", "without injury"),
        (IncidentType.VIOLENCE, (Flag.STAFF_INJURED,), "0", "8N", "with injury"),
        (IncidentType.VIOLENCE, (Flag.HATE,), "0", "105A", "hate-related"),
        (IncidentType.THEFT, (Flag.VIOLENCE,), "50", "105A", "Assault"),
        (IncidentType.THEFT, (Flag.STAFF_INJURED,), "50", "8N", "Assault with injury"),
        (IncidentType.THREATS_ABUSE, (), "0", "9A", "alarm or distress"),
        (IncidentType.THREATS_ABUSE, (Flag.HATE,), "0", "9B", "aggravated"),
        (IncidentType.CRIMINAL_DAMAGE, (), "0", "58B", "Criminal damage"),
        (IncidentType.FRAUD, (), "0", "53", "Fraud"),
        (IncidentType.ANTISOCIAL_BEHAVIOUR, (), "0", "ASB", "not a notifiable offence"),
        (IncidentType.OTHER, (), "0", "", "To be classified"),
    ],
    ids=[
        "theft-low",
        "theft-200-is-low",
        "theft-high",
        "robbery",
        "robbery-beats-violence",
        "burglary",
        "assault",
        "assault-injury",
        "assault-hate",
        "theft-with-violence",
        "theft-with-injury",
        "threats",
        "threats-hate",
        "damage",
        "fraud",
        "asb",
        "other",
    ],
)
def test_offence_class(
    incident_type: str, flags: tuple[str, ...], value: str, code: str, label_part: str
) -> None:
    result = classify_offence(incident_type, frozenset(flags), Decimal(value))
    assert result.code == code
    assert label_part in result.label


@pytest.mark.parametrize("incident_type", IncidentType.values)
def test_every_type_gets_a_label(incident_type: str) -> None:
    assert classify_offence(incident_type, frozenset(), Decimal("0")).label

"""Retail Crime Action Plan priority and Home Office Counting Rules offence class.

Pure functions of an incident's facts, so the web form, the API, CSV imports and the demo seed
all classify the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import Flag, IncidentType, Priority

HIGH_VALUE_THRESHOLD = Decimal("200.00")  # above this, theft is no longer "low-value" (s22A MCA 1980)
VERY_HIGH_VALUE_THRESHOLD = Decimal("1000.00")
PROLIFIC_INCIDENTS = 5  # a known person with this many incidents in 12 months is treated as prolific


@dataclass(frozen=True)
class IncidentFacts:
    type: str
    flags: frozenset[str]
    goods_value: Decimal
    known_offender: bool = False
    repeat_offender: bool = False
    prolific_offender: bool = False
    juvenile_offender: bool = False


@dataclass(frozen=True)
class PriorityResult:
    priority: str
    score: int
    reasons: list[str]


# The Retail Crime Action Plan: attend where violence was used, where an offender is detained,
# or where evidence can only be secured in person; repeat, prolific or juvenile offenders and
# high-value thefts raise priority; retailers are asked to report hate crime as a priority.
_WEIGHTS: list[tuple[str, int, str]] = [
    ("violence", 50, "Violence used against staff"),
    ("weapon", 50, "Weapon seen or used"),
    ("staff_injured", 40, "Staff injured"),
    ("offender_detained", 45, "Offender detained by staff or security"),
    ("offender_nearby", 30, "Offender still nearby: evidence can be secured in person"),
    ("hate", 30, "Hate-related"),
    ("prolific", 25, "Prolific offender"),
    ("repeat", 15, "Repeat offender"),
    ("juvenile", 20, "Juvenile offender"),
    ("very_high_value", 25, "Very high value (over £1,000)"),
    ("high_value", 15, "High value (over £200)"),
    ("robbery", 40, "Robbery"),
]
_WEIGHT = {key: (w, text) for key, w, text in _WEIGHTS}


def compute_priority(facts: IncidentFacts) -> PriorityResult:
    present: list[str] = [
        f
        for f in (
            Flag.VIOLENCE,
            Flag.WEAPON,
            Flag.STAFF_INJURED,
            Flag.OFFENDER_DETAINED,
            Flag.OFFENDER_NEARBY,
            Flag.HATE,
        )
        if f in facts.flags
    ]
    if facts.type == IncidentType.VIOLENCE and Flag.VIOLENCE not in facts.flags:
        present.append("violence")
    if facts.type == IncidentType.ROBBERY:
        present.append("robbery")
    if facts.prolific_offender:
        present.append("prolific")
    elif facts.repeat_offender:
        present.append("repeat")
    if facts.juvenile_offender:
        present.append("juvenile")
    if facts.goods_value > VERY_HIGH_VALUE_THRESHOLD:
        present.append("very_high_value")
    elif facts.goods_value > HIGH_VALUE_THRESHOLD:
        present.append("high_value")

    score = min(sum(_WEIGHT[k][0] for k in present), 255)
    reasons = [_WEIGHT[k][1] for k in present]
    attend_now = {"violence", "weapon", "offender_detained", "robbery"}
    if attend_now.intersection(present) or ("offender_nearby" in present and "staff_injured" in present):
        priority = Priority.P1
    elif present:
        priority = Priority.P2
    elif facts.type in (IncidentType.ANTISOCIAL_BEHAVIOUR, IncidentType.OTHER, IncidentType.FRAUD):
        priority = Priority.P4
    else:
        priority = Priority.P3
    return PriorityResult(priority=priority, score=score, reasons=reasons)


@dataclass(frozen=True)
class OffenceClass:
    code: str
    label: str


def classify_offence(incident_type: str, flags: frozenset[str], goods_value: Decimal) -> OffenceClass:
    """The Home Office Counting Rules class a report would most likely be recorded under.

    A starting point for the crime-recording decision, which stays with the police: the principal
    crime rule and one-crime-per-victim are applied when the report becomes a crime.
    """
    hate = Flag.HATE in flags
    if incident_type == IncidentType.ROBBERY:
        return OffenceClass("34A", "Robbery of business property")
    if incident_type == IncidentType.BURGLARY:
        return OffenceClass("30C", "Burglary – business and community")
    if incident_type == IncidentType.VIOLENCE or Flag.VIOLENCE in flags or Flag.STAFF_INJURED in flags:
        if Flag.STAFF_INJURED in flags:
            return OffenceClass("8N", "Assault with injury" + (" (hate-related)" if hate else ""))
        return OffenceClass("105A", "Assault without injury" + (" (hate-related)" if hate else ""))
    if incident_type == IncidentType.THREATS_ABUSE:
        if hate:
            return OffenceClass("9B", "Racially or religiously aggravated public fear, alarm or distress")
        return OffenceClass("9A", "Public fear, alarm or distress")
    if incident_type == IncidentType.THEFT:
        if goods_value <= HIGH_VALUE_THRESHOLD:
            return OffenceClass("46", "Shoplifting (low value, £200 or less)")
        return OffenceClass("46", "Shoplifting")
    if incident_type == IncidentType.CRIMINAL_DAMAGE:
        return OffenceClass("58B", "Criminal damage to a building other than a dwelling")
    if incident_type == IncidentType.FRAUD:
        return OffenceClass("53", "Fraud (reported to Action Fraud)")
    if incident_type == IncidentType.ANTISOCIAL_BEHAVIOUR:
        return OffenceClass("ASB", "Anti-social behaviour (not a notifiable offence)")
    return OffenceClass("", "To be classified")

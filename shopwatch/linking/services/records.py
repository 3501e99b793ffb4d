"""Person records as the linkage engine sees them: names, date of birth, town and the holding organisation.

A person has no address of their own here, so ``town`` is the town where most of their recorded incidents
happened (blank when none); ``source`` is the slug of the organisation that holds the record.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db.models import Q

from shopwatch.linking.engine import PersonRecord
from shopwatch.reporting.models import IncidentOffender
from shopwatch.subjects.models import Person, PersonStatus

CHUNK = 5000


def linkable_persons() -> Q:
    """Records worth comparing: known persons, or sought persons with a name or date of birth."""
    return (
        Q(status=PersonStatus.KNOWN) | ~Q(given_name="") | ~Q(family_name="") | Q(date_of_birth__isnull=False)
    )


def _towns(person_ids: list[int]) -> dict[int, str]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    rows = IncidentOffender.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "incident__store__town"
    )
    for person_id, town in rows:
        if person_id is not None and town:
            counts[person_id][town] += 1
    return {pid: c.most_common(1)[0][0] for pid, c in counts.items()}


def _dob(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def person_records(ids: Iterable[int] | None = None) -> list[PersonRecord]:
    """The engine's records for the given persons (all linkable persons when None), in id order."""
    qs = Person.objects.filter(linkable_persons()).select_related("owner_org").order_by("id")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    out: list[PersonRecord] = []
    rows = list(qs.only("id", "given_name", "family_name", "date_of_birth", "owner_org__slug"))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        towns = _towns([p.pk for p in chunk])
        out.extend(
            PersonRecord(
                record_id=str(p.pk),
                first_name=p.given_name,
                surname=p.family_name,
                date_of_birth=_dob(p.date_of_birth),
                postcode="",
                town=towns.get(p.pk, ""),
                source=p.owner_org.slug,
            )
            for p in chunk
        )
    return out

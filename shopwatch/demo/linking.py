"""Demo data for offender linking (Pegasus and Opal): the same people on record twice, and a group that
police and Opal can see.

* Duplicates: some known offenders are held a second time by another partnership (often across the
  force border) or by a retailer's own security team, entered differently: another spelling, forename and
  surname swapped, a nickname, only the year of birth (recorded as 1 January), day and month swapped, seen
  in another town. The second record is attached to incidents in its own area, so one person looks like
  two low-level offenders until the records are linked.
* The travelling group (see ``seed``) is shared with police, and so are its incidents, so Opal's analyst
  sees it as an organised group across Sussex and Thames Valley; one member is on record again in Oxford
  under another spelling.

Deterministic: it draws from its own random stream, and every time is derived from the seed's period.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.conf import settings

from shopwatch.core.models import Distribution
from shopwatch.reporting.models import Incident, IncidentOffender
from shopwatch.reporting.rules import PROLIFIC_INCIDENTS, IncidentFacts, compute_priority
from shopwatch.subjects.models import Person, PersonStatus

from . import places
from .world import DemoWorld

NICKNAMES = {
    "Daniel": "Danny",
    "Danny": "Daniel",
    "Jamie": "James",
    "Josh": "Joshua",
    "Lee": "Leigh",
    "Kelly": "Kel",
    "Nicola": "Nicky",
    "Stacey": "Stacy",
    "Zoe": "Zoey",
    "Kasia": "Katarzyna",
    "Tomasz": "Tom",
    "Andrei": "Andrew",
    "Stefan": "Steven",
    "Gemma": "Gem",
    "Callum": "Cal",
    "Kieran": "Kieron",
    "Reece": "Rhys",
    "Jade": "Jayde",
    "Megan": "Meg",
    "Connor": "Conor",
}
VARIANTS = ["spelling", "swapped", "nickname", "year only", "day and month", "same"]
ACROSS = {places.BRIGHTON: places.OXFORD, places.CRAWLEY: places.OXFORD, places.OXFORD: places.BRIGHTON}
DUPLICATES = 12
RETAILER_HOLDERS = ["northway", "kestrel"]  # national chains whose security teams keep their own records


def _misspell(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 2)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # two letters swapped


def _variant(rng: random.Random, p: Person, kind: str) -> dict[str, object]:
    given, family, dob = p.given_name, p.family_name, p.date_of_birth
    if kind == "spelling":
        family = _misspell(rng, family)
    elif kind == "swapped":
        given, family = family, given
    elif kind == "nickname":
        given = NICKNAMES.get(given, _misspell(rng, given))
    elif kind == "year only" and dob:
        dob = dt.date(dob.year, 1, 1)
    elif kind == "day and month" and dob and dob.day <= 12:
        dob = dt.date(dob.year, dob.day, dob.month)
    elif kind == "day and month" and dob:
        dob = dob + dt.timedelta(days=rng.choice([-10, 10]))
    return {"given_name": given, "family_name": family, "date_of_birth": dob}


def seed_links(w: DemoWorld, *, seed: int, start: dt.datetime) -> int:
    """Add the duplicate records and share the travelling group with police. Returns records added."""
    rng = random.Random(f"linking-{seed}")
    known = list(
        Person.objects.filter(status=PersonStatus.KNOWN, date_of_birth__isnull=False)
        .exclude(distribution=Distribution.ALL_PARTNERSHIPS)
        .order_by("id")
    )
    offenders: dict[int, list[int]] = {}
    for incident_id, person_id in IncidentOffender.objects.filter(person__in=known).values_list(
        "incident_id", "person_id"
    ):
        offenders.setdefault(person_id, []).append(incident_id)
    # The busiest offenders first: those are the ones police most need to see as one person.
    chosen = sorted(known, key=lambda p: (-len(offenders.get(p.pk, [])), p.pk))[:DUPLICATES]
    area_incidents: dict[str, list[int]] = {}
    for slug in (places.BRIGHTON, places.CRAWLEY, places.OXFORD):
        area_incidents[slug] = list(
            Incident.objects.filter(store__partnerships=w.orgs[slug], offenders__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)[:400]
        )
    added: list[Person] = []
    attach: list[tuple[Person, list[int]]] = []
    police_ids: list[int] = []
    for i, original in enumerate(chosen):
        home = original.partnership.slug if original.partnership else places.BRIGHTON
        kind = VARIANTS[i % len(VARIANTS)]
        created = start + dt.timedelta(days=rng.randint(5, 60))
        by_retailer = i % 4 == 3
        other = ACROSS.get(home, places.OXFORD)
        # Half are shared with police on both sides (Opal sees both); the rest stay with partnerships,
        # where each side learns only that a possible match is held elsewhere.
        shared = i % 2 == 0
        duplicate = Person(
            owner_org=w.orgs[RETAILER_HOLDERS[i % 2]] if by_retailer else w.orgs[other],
            partnership=None if by_retailer else w.orgs[other],
            distribution=Distribution.POLICE if shared else Distribution.PARTNERSHIP,
            status=PersonStatus.KNOWN,
            description="Known to members for shop theft; came to notice in another town.",
            created_at=created,
            updated_at=created,
            height_cm=original.height_cm,
            build=original.build,
            hair=original.hair,
            **_variant(rng, original, kind),
        )
        added.append(duplicate)
        if shared:
            police_ids.append(original.pk)
        pool = area_incidents[other if not by_retailer else home]
        take = [pool.pop(rng.randrange(len(pool))) for _ in range(min(len(pool), rng.randint(2, 4)))]
        attach.append((duplicate, take))
    Person.objects.bulk_create(added)
    Person.objects.filter(pk__in=police_ids).update(distribution=Distribution.POLICE)

    # The travelling group: shared with police, with its incidents; one member on record again in Oxford.
    group = list(
        Person.objects.filter(
            distribution=Distribution.ALL_PARTNERSHIPS, description__contains="travelling group"
        ).order_by("id")
    )
    group_incidents = IncidentOffender.objects.filter(person__in=group).values("incident_id")
    Incident.objects.filter(pk__in=group_incidents).update(distribution=Distribution.POLICE)
    Person.objects.filter(pk__in=[p.pk for p in group]).update(distribution=Distribution.POLICE)
    if group:
        member = group[0]
        created = start + dt.timedelta(days=30)
        again = Person.objects.create(
            owner_org=w.orgs[places.OXFORD],
            partnership=w.orgs[places.OXFORD],
            distribution=Distribution.POLICE,
            status=PersonStatus.KNOWN,
            description="Seen with others loading a vehicle after thefts from national chains in Oxford.",
            created_at=created,
            updated_at=created,
            **_variant(rng, member, "spelling"),
        )
        added.append(again)
        pool = area_incidents[places.OXFORD]
        attach.append((again, [pool.pop(rng.randrange(len(pool))) for _ in range(min(len(pool), 2))]))
    rows = [IncidentOffender(incident_id=i, person=p) for p, ids in attach for i in ids]
    IncidentOffender.objects.bulk_create(rows)
    _reprioritise(sorted({i for _, ids in attach for i in ids}))
    return len(added)


def _reprioritise(incident_ids: list[int]) -> None:
    """The Retail Crime Action Plan priority of incidents that now name a known person, with the facts the
    reporting services derive when a report is filed (the person's incidents in the year before)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    for incident in Incident.objects.filter(pk__in=incident_ids).order_by("id"):
        since = incident.created_at - dt.timedelta(days=365)
        people = list(Person.objects.filter(incident_links__incident=incident).distinct())
        counts = [
            IncidentOffender.objects.filter(
                person=p, incident_id__lt=incident.pk, incident__created_at__gte=since
            ).count()
            for p in people
        ]
        day = incident.created_at.astimezone(tz).date()
        facts = IncidentFacts(
            type=incident.type,
            flags=frozenset(incident.flags),
            goods_value=incident.goods_value,
            known_offender=bool(counts),
            repeat_offender=any(n >= 1 for n in counts),
            prolific_offender=any(n + 1 >= PROLIFIC_INCIDENTS for n in counts),
            juvenile_offender=any((p.age_on(day) or 99) < 18 for p in people),
        )
        pr = compute_priority(facts)
        Incident.objects.filter(pk=incident.pk).update(
            priority=pr.priority, priority_score=pr.score, priority_reasons=pr.reasons
        )

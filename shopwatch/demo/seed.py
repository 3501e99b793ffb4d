"""Deterministic demo data: the same seed gives the same world, persons and incidents.

Shape, as partnerships and police describe it:

* a few prolific offenders commit most thefts: about 10% of known offenders are behind about 70% of
  the incidents with a known offender;
* a travelling group hits national-chain stores in both force areas on "trip days", always in the
  same vehicles (same registrations);
* hot stores, evening and weekend peaks, a rising trend and a pre-Christmas bump;
* some violence and threats with the Retail Crime Action Plan flags; goods lines and values;
  some reported to police, some of those progressed to a crime reference and an outcome.

Priorities and offence classes come from :mod:`shopwatch.reporting.rules` with the facts the
reporting services would derive when each report was filed (previous incidents of the same person
in the 365 days before the report, age on the day). Everything is written with ``bulk_create`` in
batches, so memory stays bounded however many incidents are asked for, and the whole seed is one
transaction: it either completes or leaves nothing behind.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shopwatch.core.models import (
    AuditAction,
    AuditEvent,
    Channel,
    Distribution,
    Organisation,
    User,
)
from shopwatch.reporting.models import (
    FLAG_FIELDS,
    Flag,
    GoodsLine,
    Incident,
    IncidentOffender,
    IncidentStatus,
    IncidentType,
    IncidentVehicle,
    StatusChange,
)
from shopwatch.reporting.rules import PROLIFIC_INCIDENTS, IncidentFacts, classify_offence, compute_priority
from shopwatch.subjects.models import Person, PersonAlias, PersonStatus, Vehicle

from . import alerts, bulk, linking, places, police, prevention, text
from .clock import seeded_clock
from .places import FORCE_CODES, RETAILERS, STORES
from .world import DemoWorld, build_world

HISTORY_WINDOW = dt.timedelta(days=365)  # as reporting.services._write looks back
LARGE_SEED = 100_000  # from this many incidents, commit per batch rather than in one transaction
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MASK40 = (1 << 40) - 1
_REG_FIRST = "ABCDEFGHKLMNOPRSVWY"
_REG_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
_GROUP_RETAILERS = ("northway", "kestrel", "stride")
_OUTCOMES = [
    "Charged",
    "Charged",
    "Community resolution",
    "Caution",
    "Investigation complete: no suspect identified",
    "Evidential difficulties: victim supports action",
    "Summonsed",
]


class SeedRefused(Exception):
    """The seed cannot run (for example, the database already holds data)."""


@dataclass(frozen=True)
class SeedOptions:
    incidents: int = 5000
    seed: int = 1
    months: int = 12
    until: dt.date | None = None  # incidents end before the start of this day; default today
    batch_size: int = 2000


@dataclass
class SeedResult:
    start: dt.datetime
    end: dt.datetime
    organisations: int = 0
    stores: int = 0
    users: int = 0
    persons: int = 0
    incidents: int = 0
    group_incidents: int = 0
    group_vehicles: list[str] = field(default_factory=list)


def database_is_empty() -> bool:
    return not Organisation.objects.exists() and not User.objects.exists()


# --- Small deterministic helpers -----------------------------------------------------------------------


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _reference(n: int, salt: int) -> str:
    """A distinct, random-looking SW-XXXX-XXXX for each n (a bijection on 40 bits)."""
    x = (n + salt) & _MASK40
    x = (x * 0x9E3779B1) & _MASK40
    x ^= x >> 19
    x = (x * 0xC2B2AE35) & _MASK40
    x ^= x >> 16
    chars = "".join(_REF_ALPHABET[(x >> (35 - 5 * i)) & 31] for i in range(8))
    return f"SW-{chars[:4]}-{chars[4:]}"


def _registration(rng: random.Random, taken: set[str]) -> str:
    while True:
        age = rng.choice(
            ["17", "18", "19", "20", "21", "22", "23", "24", "67", "68", "69", "70", "71", "72", "73"]
        )
        reg = (
            rng.choice(_REG_FIRST)
            + rng.choice(_REG_LETTERS)
            + age
            + "".join(rng.choice(_REG_LETTERS) for _ in range(3))
        )
        if reg not in taken:
            taken.add(reg)
            return reg


def _pounds(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


def _price(rng: random.Random, lo: float, hi: float) -> Decimal:
    p = rng.uniform(lo, hi)
    return _pounds(round(p) - 0.01) if p >= 3 else _pounds(p)


def _weighted_counts(weights: list[float], total: int) -> list[int]:
    """Split ``total`` in proportion to ``weights`` exactly (largest remainder)."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [w * total / s for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


# --- People ----------------------------------------------------------------------------------------------


@dataclass
class _Pool:
    prolific: list[Person] = field(default_factory=list)
    others: list[Person] = field(default_factory=list)
    sought: list[Person] = field(default_factory=list)


@dataclass
class _People:
    pools: dict[str, _Pool]
    group: list[Person]
    group_vehicles: list[Vehicle]
    vehicles: list[Vehicle]


def _appearance(rng: random.Random) -> dict[str, object]:
    return {
        "height_cm": rng.randint(155, 195),
        "build": rng.choice(text.BUILDS),
        "hair": rng.choice(text.HAIR),
        "distinguishing_features": rng.choice(text.FEATURES) if rng.random() < 0.6 else "",
    }


def _build_people(
    rng: random.Random, w: DemoWorld, *, incidents: int, start: dt.datetime, store_share: dict[str, float]
) -> _People:
    partnerships = [places.BRIGHTON, places.CRAWLEY, places.OXFORD]
    share = {p: sum(v for k, v in store_share.items() if w.specs[k].partnership == p) for p in partnerships}
    known_total = max(40, min(20_000, round(incidents / 22)))
    sought_total = max(10, min(10_000, round(incidents / 70)))
    known_counts = _weighted_counts([share[p] for p in partnerships], known_total - 4)
    sought_counts = _weighted_counts([share[p] for p in partnerships], sought_total)
    prolific_total = max(len(partnerships), round(known_total * 0.10) - 4)
    prolific_counts = _weighted_counts([share[p] for p in partnerships], prolific_total)

    aliases: list[tuple[Person, str]] = []
    plan: list[tuple[str, str, Person]] = []  # (partnership, pool name, person)
    towns = {
        p: sorted({w.specs[k].town for k in w.specs if w.specs[k].partnership == p}) for p in partnerships
    }

    def known(partnership: str, *, juvenile: bool, description: str, distribution: str) -> Person:
        age = rng.randint(14, 17) if juvenile else rng.randint(18, 58)
        dob = start.date() - dt.timedelta(days=age * 365 + rng.randint(30, 330))
        created = start - dt.timedelta(days=rng.randint(20, 400))
        p = Person(
            owner_org=w.orgs[partnership],
            partnership=w.orgs[partnership],
            distribution=distribution,
            status=PersonStatus.KNOWN,
            given_name=rng.choice(text.FIRST_NAMES),
            family_name=rng.choice(text.FAMILY_NAMES),
            date_of_birth=dob,
            description=description,
            created_at=created,
            updated_at=created,
            **_appearance(rng),
        )
        if rng.random() < 0.2:
            aliases.append((p, rng.choice(text.NICKNAMES)))
        return p

    for p_slug, n_known, n_prolific, n_sought in zip(
        partnerships, known_counts, prolific_counts, sought_counts, strict=True
    ):
        n_prolific = max(1, min(n_prolific, n_known - 1))
        for i in range(n_known):
            prolific = i < n_prolific
            town = rng.choice(towns[p_slug])
            desc = (
                f"Prolific shoplifter active across {town}; targets high-value lines."
                if prolific
                else f"Known to members in {town} for shop theft."
            )
            # Sussex partnerships share their prolific offenders across the county network.
            dist = (
                Distribution.CONNECTED if prolific and p_slug != places.OXFORD else Distribution.PARTNERSHIP
            )
            person = known(p_slug, juvenile=rng.random() < 0.06, description=desc, distribution=dist)
            plan.append((p_slug, "prolific" if prolific else "others", person))
        for _ in range(n_sought):
            low = rng.randint(16, 50)
            created = start - dt.timedelta(days=rng.randint(0, 60))
            person = Person(
                owner_org=w.orgs[p_slug],
                partnership=w.orgs[p_slug],
                distribution=Distribution.PARTNERSHIP,
                status=PersonStatus.ID_SOUGHT,
                age_min=low,
                age_max=low + rng.choice([5, 10]),
                description=f"Unidentified: seen on CCTV in {rng.choice(towns[p_slug])} wearing "
                f"{rng.choice(text.CLOTHING)}. Can you name this person?",
                created_at=created,
                updated_at=created,
                **_appearance(rng),
            )
            plan.append((p_slug, "sought", person))

    taken: set[str] = set()
    group_vehicles = [
        Vehicle(registration=_registration(rng, taken), make=make, model=model, colour=colour)
        for make, model, colour in rng.sample(text.VEHICLES, 2)
    ]
    regs = " and ".join(v.registration for v in group_vehicles)
    group = [
        known(
            places.BRIGHTON,
            juvenile=False,
            distribution=Distribution.ALL_PARTNERSHIPS,
            description="Member of a travelling group targeting national chains in Sussex and Thames Valley; "
            f"seen in vehicles {regs}.",
        )
        for _ in range(4)
    ]
    vehicles = [
        Vehicle(registration=_registration(rng, taken), make=make, model=model, colour=colour)
        for make, model, colour in (
            rng.choice(text.VEHICLES) for _ in range(max(10, min(5000, incidents // 150)))
        )
    ]

    Person.objects.bulk_create([p for _, _, p in plan] + group)
    PersonAlias.objects.bulk_create([PersonAlias(person=p, name=a) for p, a in aliases])
    Vehicle.objects.bulk_create(group_vehicles + vehicles)
    managers = {w.orgs[slug].pk: user for slug, user in w.partnership_manager.items()}
    audits = []
    for person in [p for _, _, p in plan] + group:
        manager = managers.get(person.partnership_id or 0)
        audits.append(
            AuditEvent(
                at=person.created_at,
                actor=manager,
                organisation_id=person.partnership_id,
                channel=Channel.WEB,
                action=AuditAction.CREATE,
                object_type="person",
                object_id=str(person.pk),
                partnership_id=person.partnership_id,
                summary=person.display_name,
            )
        )
    AuditEvent.objects.bulk_create(audits, batch_size=2000)

    pools = {p: _Pool() for p in partnerships}
    for p_slug, pool_name, person in plan:
        getattr(pools[p_slug], pool_name).append(person)
    return _People(pools=pools, group=group, group_vehicles=group_vehicles, vehicles=vehicles)


# --- Incidents -------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    store_key: str
    type: str
    occurred: dt.datetime
    created: dt.datetime = field(default_factory=timezone.now)
    flags: set[str] = field(default_factory=set)
    goods: list[tuple[str, int, Decimal]] = field(default_factory=list)
    recovered: list[bool] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    vehicles: list[tuple[Vehicle, str]] = field(default_factory=list)
    group: bool = False
    description: str = ""


@dataclass
class _Written:
    incidents: int = 0
    group: int = 0


class _Generator:
    def __init__(
        self, options: SeedOptions, w: DemoWorld, start: dt.datetime, end: dt.datetime, rng: random.Random
    ) -> None:
        self.o = options
        self.w = w
        self.start = start
        self.end = end
        self.rng = rng
        # Writing draws from its own stream, so the batch size cannot change the data.
        self.brng = random.Random(f"shopwatch-demo-{options.seed}-write")
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.retailers = {r.slug: r for r in RETAILERS}
        self.store_keys = [s.key for s in STORES]
        self.store_weights = [
            s.weight * self.retailers[s.retailer].weight * rng.uniform(0.8, 1.25) for s in STORES
        ]
        self.salt = rng.getrandbits(40)
        self.history: dict[int, list[dt.datetime]] = {}
        self.last_seen: dict[int, dt.datetime] = {}
        self.crime_seq: dict[tuple[str, int], int] = {}
        self.external_seq: dict[str, int] = {}
        self.counter = 0
        self.tables = _Tables.open()
        self.ts, self.js = bulk.adapters()
        self.empty_detail = self.js({})
        self._reasons: dict[tuple[str, ...], str] = {}

    def reasons_json(self, reasons: list[str]) -> Any:
        key = tuple(reasons)
        out = self._reasons.get(key)
        if out is None:
            out = self._reasons[key] = self.js(reasons)
        return out

    # -- the timeline --

    def days(self) -> list[dt.date]:
        d, last = self.start.date(), self.end.date()
        out = []
        while d < last:
            out.append(d)
            d += dt.timedelta(days=1)
        return out

    def day_weights(self, days: list[dt.date]) -> list[float]:
        weekday = [0.92, 0.9, 0.95, 1.0, 1.12, 1.32, 0.97]
        month = {11: 1.1, 12: 1.28, 1: 0.9, 8: 1.05}
        n = max(1, len(days) - 1)
        return [
            weekday[d.weekday()] * month.get(d.month, 1.0) * (1 + 0.2 * i / n) for i, d in enumerate(days)
        ]

    def at(self, day: dt.date, hour: int) -> dt.datetime:
        local = dt.datetime(
            day.year,
            day.month,
            day.day,
            hour,
            self.rng.randint(0, 59),
            self.rng.randint(0, 59),
            tzinfo=self.tz,
        )
        return local.astimezone(dt.UTC)

    def hour(self, kind: str) -> int:
        if kind == IncidentType.BURGLARY or (
            kind == IncidentType.CRIMINAL_DAMAGE and self.rng.random() < 0.3
        ):
            return self.rng.randint(0, 5)
        hours = list(range(7, 23))
        weights = [2, 3, 4, 5, 6, 7, 7, 6, 7, 9, 10, 10, 8, 6, 4, 2]
        return self.rng.choices(hours, weights)[0]

    # -- one incident --

    def incident_type(self, goods_kind: str) -> str:
        T = IncidentType
        types = [
            T.THEFT,
            T.THREATS_ABUSE,
            T.VIOLENCE,
            T.ANTISOCIAL_BEHAVIOUR,
            T.CRIMINAL_DAMAGE,
            T.ROBBERY,
            T.FRAUD,
            T.BURGLARY,
            T.OTHER,
        ]
        weights = [74, 9, 5, 5, 2, 1, 2.5, 0.5, 1]
        if goods_kind in ("convenience", "offlicence"):
            weights = [66, 12, 6, 7, 2, 2, 2, 1, 2]
        elif goods_kind == "hardware":
            weights = [72, 6, 4, 3, 3, 1, 5, 4, 2]
        return str(self.rng.choices(types, weights)[0])

    def goods(self, goods_kind: str, *, lines: int, scale: float = 1.0) -> list[tuple[str, int, Decimal]]:
        catalogue = text.GOODS[goods_kind]
        out = []
        for desc, lo, hi, most in self.rng.sample(catalogue, min(lines, len(catalogue))):
            qty = max(1, min(most * 2, round(self.rng.expovariate(1 / max(1.0, most / 3)) * scale) + 1))
            out.append((desc, qty, _pounds(float(_price(self.rng, lo, hi)) * qty)))
        return out

    def flags(self, kind: str) -> set[str]:
        F, T = Flag, IncidentType
        odds: dict[str, list[tuple[str, float]]] = {
            T.THEFT: [
                (F.OFFENDER_DETAINED, 0.05),
                (F.OFFENDER_NEARBY, 0.04),
                (F.VIOLENCE, 0.02),
                (F.HATE, 0.005),
            ],
            T.VIOLENCE: [
                (F.VIOLENCE, 0.9),
                (F.STAFF_INJURED, 0.35),
                (F.WEAPON, 0.08),
                (F.HATE, 0.06),
                (F.OFFENDER_DETAINED, 0.1),
                (F.OFFENDER_NEARBY, 0.1),
            ],
            T.THREATS_ABUSE: [(F.HATE, 0.15), (F.WEAPON, 0.05), (F.OFFENDER_NEARBY, 0.1)],
            T.ROBBERY: [(F.VIOLENCE, 0.5), (F.WEAPON, 0.6), (F.STAFF_INJURED, 0.15)],
            T.ANTISOCIAL_BEHAVIOUR: [(F.OFFENDER_NEARBY, 0.1)],
            T.CRIMINAL_DAMAGE: [(F.OFFENDER_NEARBY, 0.05)],
        }
        return {str(f) for f, p in odds.get(kind, []) if self.rng.random() < p}

    def stranger(self) -> str:
        r = self.rng
        return (
            f"{r.choice(text.GENDERS)}, about {r.randint(16, 55)}, {r.choice(text.BUILDS)} build, "
            f"{r.choice(text.HAIR)} hair, wearing {r.choice(text.CLOTHING)}"
        )

    def regular(self, day: dt.date, people: _People) -> _Plan:
        r = self.rng
        key = r.choices(self.store_keys, self.store_weights)[0]
        spec = self.w.specs[key]
        goods_kind = self.retailers[spec.retailer].goods
        kind = self.incident_type(goods_kind)
        plan = _Plan(store_key=key, type=kind, occurred=self.at(day, self.hour(kind)))
        plan.flags = self.flags(kind)
        T = IncidentType
        if kind == T.THEFT:
            plan.goods = self.goods(goods_kind, lines=r.choices([1, 2, 3], [6, 3, 1])[0])
        elif kind == T.ROBBERY:
            plan.goods = (
                [("Cash from the till", 1, _pounds(r.uniform(60, 900)))]
                if r.random() < 0.5
                else self.goods(goods_kind, lines=1, scale=2.0)
            )
        elif kind == T.BURGLARY:
            plan.goods = self.goods(goods_kind, lines=2, scale=3.0)
        elif kind == T.VIOLENCE and r.random() < 0.4:
            plan.goods = self.goods(goods_kind, lines=1)
        pool = people.pools.get(spec.partnership or "")
        who = r.random()
        known_share = (
            0.45 if kind == T.THEFT else 0.3 if kind in (T.VIOLENCE, T.THREATS_ABUSE, T.ROBBERY) else 0.1
        )
        if pool is not None and who < known_share:
            plan.persons = [r.choice(pool.prolific) if r.random() < 0.7 else r.choice(pool.others)]
        elif pool is not None and who < known_share + 0.12 and pool.sought:
            plan.persons = [r.choice(pool.sought)]
        elif who < 0.88 and kind not in (T.BURGLARY, T.FRAUD):
            plan.descriptions = [self.stranger() for _ in range(r.choices([1, 2], [5, 1])[0])]
        if kind in (T.THEFT, T.ROBBERY, T.BURGLARY) and r.random() < 0.03:
            plan.vehicles = [(r.choice(people.vehicles), "Drove off in it")]
        plan.description = self.describe(plan, goods_kind)
        return plan

    def describe(self, plan: _Plan, goods_kind: str, *, group_size: int = 0) -> str:
        r, T = self.rng, IncidentType
        goods = ", ".join(d.lower() if q == 1 else f"{d.lower()} x{q}" for d, q, _ in plan.goods) or "goods"
        first_goods = plan.goods[0][0].lower() if plan.goods else "stock"
        vehicle = ""
        if plan.vehicles:
            v = plan.vehicles[0][0]
            vehicle = f"{v.colour} {v.make} {v.model}"
        templates: dict[str, list[str]] = {
            T.THEFT: text.THEFT_TEMPLATES,
            T.VIOLENCE: text.VIOLENCE_TEMPLATES,
            T.THREATS_ABUSE: text.THREAT_TEMPLATES,
            T.ANTISOCIAL_BEHAVIOUR: text.ASB_TEMPLATES,
            T.CRIMINAL_DAMAGE: text.DAMAGE_TEMPLATES,
            T.ROBBERY: text.ROBBERY_TEMPLATES,
            T.BURGLARY: text.BURGLARY_TEMPLATES,
            T.FRAUD: text.FRAUD_TEMPLATES,
            T.OTHER: text.OTHER_TEMPLATES,
        }
        template = r.choice(text.GROUP_TEMPLATES if group_size else templates[plan.type])
        after = (
            "Detained by security until police arrived."
            if Flag.OFFENDER_DETAINED in plan.flags
            else (r.choice(text.AFTER))
        )
        return template.format(
            goods=goods,
            goods_lower=first_goods,
            bag=r.choice(text.BAGS),
            exit=r.choice(text.EXITS),
            clothing=r.choice(text.CLOTHING),
            after=after,
            weapon=r.choice(text.WEAPONS),
            n=group_size,
            vehicle=vehicle,
        ).strip()

    def trips(self, days: list[dt.date], people: _People) -> dict[int, list[_Plan]]:
        """The travelling group's trip days: several national-chain stores in one area each time."""
        if self.o.incidents < 200 or not days:
            return {}
        wanted = round(self.o.incidents * 0.025)
        n_trips = max(2, round(wanted / 4))
        areas: dict[str, list[tuple[str, ...]]] = {
            places.SUSSEX: [("Brighton", "Hove"), ("Crawley", "Horsham")],
            places.THAMES_VALLEY: [("Oxford",)],
        }
        forces = [places.SUSSEX, places.THAMES_VALLEY]
        if self.rng.random() < 0.5:
            forces.reverse()
        out: dict[int, list[_Plan]] = {}
        budget = wanted
        for k in range(n_trips):
            if budget <= 0:
                break
            force = forces[k % 2]
            towns = self.rng.choice(areas[force])
            candidates = [
                s.key
                for s in STORES
                if s.force == force and s.town in towns and s.partnership and s.retailer in _GROUP_RETAILERS
            ]
            stops = self.rng.sample(candidates, min(len(candidates), self.rng.randint(3, 5), max(1, budget)))
            index = min(len(days) - 1, max(0, int((k + 0.5) * len(days) / n_trips) + self.rng.randint(-3, 3)))
            day = days[index]
            vehicle = self.rng.choice(people.group_vehicles)
            when = self.at(day, self.rng.randint(11, 13))
            plans = []
            for stop in stops:
                spec = self.w.specs[stop]
                goods_kind = self.retailers[spec.retailer].goods
                plan = _Plan(store_key=stop, type=IncidentType.THEFT, occurred=when, group=True)
                plan.persons = self.rng.sample(people.group, self.rng.randint(2, 3))
                plan.vehicles = [(vehicle, "Group's vehicle, waiting outside")]
                plan.goods = self.goods(goods_kind, lines=2, scale=4.0)
                if self.rng.random() < 0.2:
                    plan.flags = {Flag.OFFENDER_NEARBY}
                plan.description = self.describe(plan, goods_kind, group_size=len(plan.persons))
                plans.append(plan)
                when += dt.timedelta(minutes=self.rng.randint(35, 75))
            out.setdefault(index, []).extend(plans)
            budget -= len(plans)
        return out

    def plans(self, people: _People) -> Iterator[_Plan]:
        days = self.days()
        trips = self.trips(days, people)
        group_total = sum(len(v) for v in trips.values())
        counts = _weighted_counts(self.day_weights(days), max(0, self.o.incidents - group_total))
        for index, day in enumerate(days):
            todays = [self.regular(day, people) for _ in range(counts[index])] + trips.get(index, [])
            todays.sort(key=lambda p: p.occurred)
            yield from todays

    # -- the facts the services would derive, and the incident row --

    def build(self, plan: _Plan) -> None:
        r = self.brng
        spec = self.w.specs[plan.store_key]
        store = self.w.stores[plan.store_key]
        retailer = self.retailers[spec.retailer]
        api = retailer.one_touch and spec.retailer in self.w.security and r.random() < 0.7
        reporter = self.w.security[spec.retailer] if api else self.w.store_reporter[plan.store_key]
        delay = r.uniform(1, 20) if api else (r.uniform(60, 2880) if r.random() < 0.1 else r.uniform(3, 120))
        plan.created = min(plan.occurred + dt.timedelta(minutes=delay), self.end)
        plan.recovered = [r.random() < 0.15 for _ in plan.goods]

        since = plan.created - HISTORY_WINDOW
        counts = []
        for person in plan.persons:
            seen = self.history.setdefault(person.pk, [])
            counts.append(len(seen) - bisect.bisect_left(seen, since))
        goods_value = sum((g[2] for g in plan.goods), Decimal("0"))
        flags = frozenset(plan.flags)
        facts = IncidentFacts(
            type=plan.type,
            flags=flags,
            goods_value=goods_value,
            known_offender=bool(plan.persons),
            repeat_offender=any(n >= 1 for n in counts),
            prolific_offender=any(n + 1 >= PROLIFIC_INCIDENTS for n in counts),
            juvenile_offender=any(
                (p.age_on(plan.created.astimezone(self.tz).date()) or 99) < 18 for p in plan.persons
            ),
        )
        priority = compute_priority(facts)
        offence = classify_offence(plan.type, flags, goods_value)
        for person in plan.persons:
            bisect.insort(self.history[person.pk], plan.occurred)
            if plan.occurred > self.last_seen.get(person.pk, self.start - HISTORY_WINDOW):
                self.last_seen[person.pk] = plan.occurred

        T = IncidentType
        odds: dict[str, float] = {
            T.VIOLENCE: 0.85,
            T.ROBBERY: 0.95,
            T.BURGLARY: 0.9,
            T.THREATS_ABUSE: 0.45,
            T.CRIMINAL_DAMAGE: 0.5,
            T.FRAUD: 0.3,
            T.ANTISOCIAL_BEHAVIOUR: 0.1,
            T.OTHER: 0.05,
        }
        p_police = odds.get(
            plan.type,
            0.12
            + (0.35 if goods_value > 200 else 0)
            + (0.5 if Flag.OFFENDER_DETAINED in flags else 0)
            + (0.25 if facts.prolific_offender else 0),
        )
        if plan.group:
            p_police = 0.8
        to_police = r.random() < min(p_police, 0.95)

        external_ref = ""
        if api:
            seq = self.external_seq[spec.retailer] = self.external_seq.get(spec.retailer, 0) + 1
            external_ref = f"{spec.retailer[:3].upper()}-{plan.occurred.year}-{seq:06d}"
        distribution = Distribution.PARTNERSHIP if spec.partnership else Distribution.ORGANISATION
        reference = _reference(self.counter, self.salt)
        location = r.choice(text.PLACES_IN_STORE)
        self.counter += 1

        trail: list[tuple[str, dt.datetime, User | None, str]] = [
            (IncidentStatus.SUBMITTED, plan.created, reporter, "")
        ]
        if distribution != Distribution.ORGANISATION:
            trail.append((IncidentStatus.SHARED, plan.created, reporter, ""))
        crime_reference = ""
        sent_at: dt.datetime | None = None
        if to_police:
            # Most stores send it to police within minutes of reporting it; some decide hours later.
            wait = dt.timedelta(minutes=r.uniform(1, 15) if r.random() < 0.8 else r.uniform(60, 1440))
            sent_at = min(plan.created + wait, self.end)
            trail.append(
                (IncidentStatus.SENT_TO_POLICE, sent_at, reporter, "Reported to police by the store")
            )
            officer = self.w.investigator.get(spec.force)
            at = sent_at + dt.timedelta(hours=r.uniform(2, 72))
            if r.random() < 0.7 and at < self.end:
                trail.append((IncidentStatus.WITH_POLICE, at, officer, "Reviewed by the business crime team"))
                at += dt.timedelta(hours=r.uniform(1, 120))
                if r.random() < 0.65 and at < self.end:
                    year = at.astimezone(self.tz).year % 100
                    seq = self.crime_seq[(spec.force, year)] = self.crime_seq.get((spec.force, year), 0) + 1
                    crime_reference = f"{FORCE_CODES[spec.force]}{year:02d}{seq:07d}"
                    trail.append(
                        (IncidentStatus.CRIME_RECORDED, at, officer, f"Crime recorded: {crime_reference}")
                    )
                    at += dt.timedelta(days=r.uniform(5, 60))
                    if r.random() < 0.4 and at < self.end:
                        trail.append((IncidentStatus.OUTCOME, at, officer, f"Outcome: {r.choice(_OUTCOMES)}"))

        # The rows, in the column order of each model (see bulk.Table): the same values the reporting
        # services would have saved.
        t, ts = self.tables, self.ts
        channel = Channel.API if api else Channel.WEB
        incident_id = t.incident.add(
            reference=reference,
            owner_org_id=store.retailer_id,
            store_id=store.pk,
            force_id=store.force_id,
            distribution=str(distribution),
            sharing_group_id=None,
            type=str(plan.type),
            occurred_at=ts(plan.occurred),
            description=plan.description,
            location_detail=location,
            **{column: flag in flags for flag, column in FLAG_FIELDS.items()},
            goods_value=goods_value,
            report_to_police=to_police,
            sent_to_police=to_police,
            sent_to_police_at=ts(sent_at) if sent_at else None,
            status=str(trail[-1][0]),
            priority=str(priority.priority),
            priority_score=priority.score,
            priority_reasons=self.reasons_json(priority.reasons),
            offence_code=offence.code,
            offence_label=offence.label,
            channel=str(channel),
            reported_by_id=reporter.pk,
            external_ref=external_ref,
            crime_reference=crime_reference,
            created_at=ts(plan.created),
            updated_at=ts(trail[-1][1]),
        )
        for (desc, qty, value), back in zip(plan.goods, plan.recovered, strict=True):
            t.goods.add(incident_id=incident_id, description=desc, quantity=qty, value=value, recovered=back)
        for person in plan.persons:
            t.offenders.add(incident_id=incident_id, person_id=person.pk, description="")
        for desc in plan.descriptions:
            t.offenders.add(incident_id=incident_id, person_id=None, description=desc)
        for vehicle, desc in plan.vehicles:
            t.vehicles.add(incident_id=incident_id, vehicle_id=vehicle.pk, description=desc)
        audit = {
            "api_key_id": None,
            "object_type": "incident",
            "object_id": str(incident_id),
            "store_id": store.pk,
            "partnership_id": None,
            "detail": self.empty_detail,
        }
        t.audits.add(
            at=ts(plan.created),
            actor_id=reporter.pk,
            organisation_id=store.retailer_id,
            channel=str(channel),
            action=str(AuditAction.CREATE),
            summary=reference,
            **audit,
        )
        previous = ""
        for status, at, actor, note in trail:
            t.changes.add(
                incident_id=incident_id,
                from_status=previous,
                to_status=str(status),
                at=ts(at),
                actor_id=actor.pk if actor else None,
                note=note,
            )
            if actor is not None and actor is not reporter:
                t.audits.add(
                    at=ts(at),
                    actor_id=actor.pk,
                    organisation_id=store.force_id,
                    channel=str(Channel.WEB),
                    action=str(AuditAction.CHANGE),
                    summary=f"{reference}: {previous} → {status}",
                    **audit,
                )
            previous = status

    def prune(self, before: dt.datetime) -> None:
        """Forget history older than any later report can look back to (bounded memory)."""
        for seen in self.history.values():
            cut = bisect.bisect_left(seen, before)
            if cut:
                del seen[:cut]

    def write(self, batch: list[_Plan]) -> None:
        for plan in batch:
            self.build(plan)
        self.tables.flush()
        self.prune(batch[-1].created - HISTORY_WINDOW - dt.timedelta(days=3))


@dataclass
class _Tables:
    incident: bulk.Table
    goods: bulk.Table
    offenders: bulk.Table
    vehicles: bulk.Table
    changes: bulk.Table
    audits: bulk.Table

    @classmethod
    def open(cls) -> _Tables:
        return cls(
            bulk.Table(Incident),
            bulk.Table(GoodsLine),
            bulk.Table(IncidentOffender),
            bulk.Table(IncidentVehicle),
            bulk.Table(StatusChange),
            bulk.Table(AuditEvent),
        )

    def all(self) -> list[bulk.Table]:
        return [self.incident, self.goods, self.offenders, self.vehicles, self.changes, self.audits]

    def flush(self) -> None:
        bulk.flush_all(self.all())  # parents first: the foreign keys are checked row by row


def seed_demo(options: SeedOptions, progress: Callable[[str], None] | None = None) -> SeedResult:
    """Create the demo world in an empty database. Raises SeedRefused if it is not empty."""
    if options.incidents < 0:
        raise SeedRefused("--incidents must be 0 or more.")
    if not 1 <= options.months <= 120:
        raise SeedRefused("--months must be between 1 and 120.")
    tz = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()
    until = options.until or today
    if until > today:
        raise SeedRefused("--until must not be in the future.")
    end = dt.datetime(until.year, until.month, until.day, tzinfo=tz).astimezone(dt.UTC)
    first = _months_before(until, options.months)
    start = dt.datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(dt.UTC)
    say = progress or (lambda _msg: None)
    rng = random.Random(options.seed)

    # A large seed commits batch by batch: one transaction of millions of rows would hold gigabytes of
    # journal (and, on PostgreSQL, of locks and snapshots) for nothing.
    large = options.incidents >= LARGE_SEED
    with contextlib.nullcontext() if large else transaction.atomic():
        with transaction.atomic():
            if not database_is_empty():
                raise SeedRefused(
                    "The database already holds organisations or users. The seed only fills an empty "
                    "database: point SHOPWATCH_DATA_DIR (or DATABASE_URL) at a new one, or run "
                    "`shopwatch flush` first."
                )
            w = build_world(founded=start - dt.timedelta(days=400))
            say(f"Created {len(w.orgs)} organisations, {len(w.stores)} stores and {len(w.users)} accounts.")
            store_share = dict(zip([s.key for s in STORES], [s.weight for s in STORES], strict=True))
            people = _build_people(rng, w, incidents=options.incidents, start=start, store_share=store_share)
        n_people = sum(len(p.prolific) + len(p.others) + len(p.sought) for p in people.pools.values())
        n_people += len(people.group)
        say(f"Created {n_people} persons.")
        if large:
            say(
                f"Large seed: committing every {options.batch_size:,} incidents. If it stops part way, "
                "start again with an empty database."
            )
            _tune_for_bulk()
        gen = _Generator(options, w, start, end, rng)
        result = SeedResult(
            start=start,
            end=end,
            organisations=len(w.orgs),
            stores=len(w.stores),
            users=len(w.users),
            persons=n_people,
            group_vehicles=[v.registration for v in people.group_vehicles],
        )
        batch: list[_Plan] = []
        size = max(1, options.batch_size)
        report_every = max(size * 10, 50_000 if large else 0)
        for plan in gen.plans(people):
            batch.append(plan)
            result.group_incidents += plan.group
            if len(batch) >= size:
                with transaction.atomic():
                    gen.write(batch)
                before = result.incidents
                result.incidents += len(batch)
                batch = []
                if result.incidents // report_every > before // report_every:
                    say(f"{result.incidents:,} incidents written")
        with transaction.atomic():
            if batch:
                gen.write(batch)
                result.incidents += len(batch)
            for table in gen.tables.all():
                table.reset_sequence()
            seen = sorted(gen.last_seen.items())
            for i in range(0, len(seen), 1000):
                chunk = seen[i : i + 1000]
                rows = list(Person.objects.filter(pk__in=[pk for pk, _ in chunk]))
                latest = dict(chunk)
                for person in rows:
                    person.last_incident_at = latest[person.pk]
                Person.objects.bulk_update(rows, ["last_incident_at"])
            result.persons += linking.seed_links(w, seed=options.seed, start=start)
            prevention.seed_prevention(w, seed=options.seed, start=start, end=end)
            # The police work and the alerts go through the services, which read the clock: they happen at
            # the end of the seeded period on the demo's own clock, never at the moment the seed ran.
            with seeded_clock(end):
                police.seed_police_work(w)
                alerts.seed_alerts(w)
    say(f"Created {result.incidents:,} incidents ({result.group_incidents} by the travelling group).")
    return result


def _tune_for_bulk() -> None:
    """A bigger page cache for this connection while it writes millions of rows (SQLite only)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB

"""Resolved people, vehicles, incidents and stores as one graph: prolific offenders by resolved identity,
vehicle sightings, and organised groups found with networkx's Louvain communities (fixed seed).

Everything is read through a *scope*: the incidents and persons every given viewer may see (the exporting
analyst and, for a package, its receiver too), so what is computed can never hold more than the narrowest
of them may see.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import networkx as nx
from django.db.models import QuerySet

from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.models import Organisation, OrganisationKind, Role, Store
from shopwatch.reporting.models import Incident, IncidentOffender, IncidentVehicle
from shopwatch.subjects.models import Person, Vehicle

from .access import may_link
from .models import IdentityMember

SEED = 42
SAME_STORE_WINDOW = dt.timedelta(hours=3)
WEIGHTS = {"co-offending": 3.0, "shared vehicle": 2.0, "same store in sequence": 1.0}
MIN_GROUP = 3


def incidents_for(viewers: list[Viewer]) -> QuerySet[Incident]:
    qs = Incident.objects.all()
    for v in viewers:
        if not may_link(v):
            return Incident.objects.none()
        qs = scope(qs, v)
    return qs


def persons_for(viewers: list[Viewer]) -> QuerySet[Person]:
    qs = Person.objects.all()
    for v in viewers:
        if not may_link(v):
            return Person.objects.none()
        qs = scope(qs, v)
    return qs


def receiver_viewer(org: Organisation) -> Viewer:
    """What an organisation receiving a package is entitled to: a police force sees what is shared with its
    force area, a national unit what is shared with police anywhere."""
    if org.kind == OrganisationKind.POLICE_FORCE:
        return Viewer(
            user_id=0,
            roles=frozenset({Role.POLICE_INVESTIGATOR}),
            org_ids=frozenset({org.pk}),
            org_wide_ids=frozenset({org.pk}),
            police_force_ids=frozenset({org.pk}),
            primary_org_id=org.pk,
            force_id=org.pk,
        )
    if org.kind == OrganisationKind.NATIONAL_UNIT:
        return Viewer(
            user_id=0,
            roles=frozenset({Role.ANALYST}),
            org_ids=frozenset({org.pk}),
            org_wide_ids=frozenset({org.pk}),
            national_police=True,
            primary_org_id=org.pk,
        )
    raise ValueError("A package goes to a police force or a national unit.")


def receivers() -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            kind__in=[OrganisationKind.POLICE_FORCE, OrganisationKind.NATIONAL_UNIT]
        ).order_by("kind", "name")
    )


@dataclass
class Sighting:
    incident_id: int
    reference: str
    occurred_at: dt.datetime
    type: str
    store_id: int
    store: str
    town: str
    force_id: int
    latitude: float
    longitude: float
    value: Decimal
    harm: int
    violent: bool
    person_ids: set[int] = field(default_factory=set)
    vehicle_ids: set[int] = field(default_factory=set)


@dataclass
class Data:
    """What a scope may see: incidents with their visible persons and vehicles, persons' identities."""

    incidents: dict[int, Sighting]
    persons: dict[int, Person]
    identity: dict[int, str]  # person id -> identity key ("i12", or "p34" for a person linked to no one)
    vehicles: dict[int, Vehicle]
    forces: dict[int, str]
    partnerships: dict[int, set[int]]  # store id -> partnership ids

    def members(self, key: str) -> list[Person]:
        return sorted((p for pid, p in self.persons.items() if self.identity[pid] == key), key=lambda p: p.pk)


def load(viewers: list[Viewer]) -> Data:
    incidents = incidents_for(viewers)
    persons = {p.pk: p for p in persons_for(viewers).select_related("owner_org", "partnership")}
    rows = incidents.filter(offenders__person_id__in=list(persons)).distinct().select_related("store")
    found: dict[int, Sighting] = {}
    for i in rows:
        found[i.pk] = _sighting(i)
    for inc, vid in IncidentVehicle.objects.filter(incident__in=incidents).values_list(
        "incident_id", "vehicle_id"
    ):
        if inc in found:
            found[inc].vehicle_ids.add(vid)
    for inc, pid in IncidentOffender.objects.filter(
        incident_id__in=list(found), person_id__in=list(persons)
    ).values_list("incident_id", "person_id"):
        found[inc].person_ids.add(pid)
    ids = dict(
        IdentityMember.objects.filter(person_id__in=list(persons)).values_list("person_id", "identity_id")
    )
    identity = {pid: f"i{ids[pid]}" if pid in ids else f"p{pid}" for pid in persons}
    vehicle_ids = {v for s in found.values() for v in s.vehicle_ids}
    stores = {s.store_id for s in found.values()}
    partnerships: dict[int, set[int]] = defaultdict(set)
    for sid, pid in Store.partnerships.through.objects.filter(store_id__in=stores).values_list(
        "store_id", "organisation_id"
    ):
        partnerships[sid].add(pid)
    forces = dict(
        Organisation.objects.filter(pk__in={s.force_id for s in found.values()}).values_list("pk", "name")
    )
    return Data(found, persons, identity, Vehicle.objects.in_bulk(vehicle_ids), forces, partnerships)


def _sighting(i: Incident) -> Sighting:
    return Sighting(
        incident_id=i.pk,
        reference=i.reference,
        occurred_at=i.occurred_at,
        type=i.get_type_display(),
        store_id=i.store_id,
        store=i.store.name,
        town=i.store.town,
        force_id=i.force_id,
        latitude=i.store.latitude,
        longitude=i.store.longitude,
        value=i.goods_value,
        harm=i.priority_score,
        violent=i.flag_violence or i.flag_weapon or i.type in ("violence", "robbery"),
    )


# --- Prolific offenders -------------------------------------------------------------------------------


@dataclass
class Offender:
    key: str
    members: list[Person]
    incidents: int
    harm: int
    value: Decimal
    violence: int
    stores: int
    partnerships: int
    forces: int
    last_at: dt.datetime | None

    @property
    def names(self) -> str:
        return " / ".join(dict.fromkeys(p.display_name for p in self.members))


def _summary(key: str, members: list[Person], sightings: list[Sighting], data: Data) -> Offender:
    return Offender(
        key=key,
        members=members,
        incidents=len(sightings),
        harm=sum(s.harm for s in sightings),
        value=sum((s.value for s in sightings), Decimal(0)),
        violence=sum(1 for s in sightings if s.violent),
        stores=len({s.store_id for s in sightings}),
        partnerships=len({p for s in sightings for p in data.partnerships.get(s.store_id, set())}),
        forces=len({s.force_id for s in sightings}),
        last_at=max((s.occurred_at for s in sightings), default=None),
    )


def prolific_offenders(data: Data, limit: int = 100) -> list[Offender]:
    """Resolved identities ranked by harm, then incidents, then value: two records that are one person count
    once, with everything both did."""
    by_key: dict[str, list[Sighting]] = defaultdict(list)
    for s in data.incidents.values():
        for key in {data.identity[p] for p in s.person_ids}:
            by_key[key].append(s)
    ranked = [_summary(k, data.members(k), v, data) for k, v in by_key.items()]
    ranked.sort(key=lambda o: (-o.harm, -o.incidents, -o.value, o.key))
    return ranked[:limit]


# --- Vehicles -----------------------------------------------------------------------------------------


def vehicle_sightings(data: Data, vehicle_id: int) -> list[Sighting]:
    return sorted(
        (s for s in data.incidents.values() if vehicle_id in s.vehicle_ids), key=lambda s: s.occurred_at
    )


def vehicle_sightings_all(viewer: Viewer, vehicle_id: int) -> list[Sighting]:
    """Every incident the viewer may see with the vehicle, with or without a known person."""
    rows = (
        incidents_for([viewer])
        .filter(vehicles__vehicle_id=vehicle_id)
        .distinct()
        .select_related("store")
        .order_by("occurred_at")
    )
    out = [_sighting(i) for i in rows]
    seen_persons = persons_for([viewer]).values("pk")
    links = IncidentOffender.objects.filter(
        incident_id__in=[s.incident_id for s in out], person_id__in=seen_persons
    )
    by_incident: dict[int, set[int]] = defaultdict(set)
    for inc, pid in links.values_list("incident_id", "person_id"):
        by_incident[inc].add(pid)
    for s in out:
        s.person_ids = by_incident[s.incident_id]
        s.vehicle_ids = {vehicle_id}
    return out


# --- Organised groups ---------------------------------------------------------------------------------


@dataclass
class Group:
    key: str
    identities: list[str]
    data: Data
    reasons: Counter[str]
    sightings: list[Sighting]

    @property
    def members(self) -> list[Offender]:
        out = []
        for ident in self.identities:
            own = [s for s in self.sightings if any(self.data.identity[p] == ident for p in s.person_ids)]
            out.append(_summary(ident, self.data.members(ident), own, self.data))
        return sorted(out, key=lambda o: (-o.harm, o.key))

    @property
    def vehicles(self) -> list[Vehicle]:
        ids = {v for s in self.sightings for v in s.vehicle_ids}
        return [self.data.vehicles[v] for v in sorted(ids) if v in self.data.vehicles]

    @property
    def footprint(self) -> list[tuple[str, int]]:
        counts = Counter(self.data.forces.get(s.force_id, "?") for s in self.sightings)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def stores(self) -> list[tuple[str, str, int]]:
        counts = Counter((s.store, s.town) for s in self.sightings)
        return sorted(((n, t, c) for (n, t), c in counts.items()), key=lambda x: (-x[2], x[0]))

    @property
    def reason_list(self) -> list[tuple[str, int]]:
        return self.reasons.most_common()

    @property
    def harm(self) -> int:
        return sum(s.harm for s in self.sightings)

    @property
    def value(self) -> Decimal:
        return sum((s.value for s in self.sightings), Decimal(0))

    @property
    def first_at(self) -> dt.datetime | None:
        return self.sightings[0].occurred_at if self.sightings else None

    @property
    def last_at(self) -> dt.datetime | None:
        return self.sightings[-1].occurred_at if self.sightings else None

    def picture(self) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
        """Nodes and edges of the group's network: people, the incidents they were in, vehicles and stores."""
        nodes: dict[str, tuple[str, str, str]] = {}
        edges: set[tuple[str, str]] = set()
        for o in self.members:
            nodes[o.key] = (o.key, "person", o.names)
        for s in self.sightings:
            n = f"n{s.incident_id}"
            nodes[n] = (n, "incident", f"{s.reference} {s.occurred_at:%d %b %Y}")
            st = f"s{s.store_id}"
            nodes[st] = (st, "store", s.store)
            edges.add((n, st))
            for p in s.person_ids:
                if self.data.identity[p] in self.identities:
                    edges.add((self.data.identity[p], n))
            for v in s.vehicle_ids:
                if v in self.data.vehicles:
                    vk = f"v{v}"
                    nodes[vk] = (vk, "vehicle", self.data.vehicles[v].registration)
                    edges.add((n, vk))
        return list(nodes.values()), sorted(edges)


def identity_graph(data: Data) -> nx.Graph[str]:
    """Resolved people joined by co-offending, shared vehicles and the same store hit in sequence."""
    graph: nx.Graph[str] = nx.Graph()

    def join(a: str, b: str, why: str) -> None:
        if a == b:
            return
        if graph.has_edge(a, b):
            graph[a][b]["weight"] += WEIGHTS[why]
            graph[a][b]["why"][why] += 1
        else:
            graph.add_edge(a, b, weight=WEIGHTS[why], why=Counter({why: 1}))

    by_vehicle: dict[int, set[str]] = defaultdict(set)
    by_store: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for s in data.incidents.values():
        people = sorted({data.identity[p] for p in s.person_ids})
        graph.add_nodes_from(people)
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                join(a, b, "co-offending")
        for v in s.vehicle_ids:
            by_vehicle[v].update(people)
        for p in people:
            by_store[s.store_id].append((s.occurred_at, p))
    for people_set in by_vehicle.values():
        people = sorted(people_set)
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                join(a, b, "shared vehicle")
    for visits in by_store.values():
        visits.sort()
        for i, (t, a) in enumerate(visits):
            for t2, b in visits[i + 1 :]:
                if t2 - t > SAME_STORE_WINDOW:
                    break
                join(a, b, "same store in sequence")
    return graph


def organised_groups(data: Data) -> list[Group]:
    """Communities of at least three resolved people (Louvain, fixed seed), largest harm first."""
    graph = identity_graph(data)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    if graph.number_of_edges() == 0:
        return []
    groups = []
    for community in nx.community.louvain_communities(graph, weight="weight", seed=SEED):
        if len(community) < MIN_GROUP:
            continue
        idents = sorted(community)
        sub = graph.subgraph(idents)
        reasons: Counter[str] = Counter()
        for _, _, d in sub.edges(data=True):
            reasons.update(d["why"])
        persons = {pid for pid, k in data.identity.items() if k in community}
        sightings = sorted(
            (s for s in data.incidents.values() if s.person_ids & persons), key=lambda s: s.occurred_at
        )
        key = "g" + str(min(persons))
        groups.append(Group(key=key, identities=idents, data=data, reasons=reasons, sightings=sightings))
    groups.sort(key=lambda g: (-g.harm, g.key))
    return groups


def group_find(data: Data, key: str) -> Group | None:
    return next((g for g in organised_groups(data) if g.key == key), None)

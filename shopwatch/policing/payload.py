"""The hand-off payload: one incident as POLE (people, objects, locations, events) for crime recording.

Documented in docs/handoff.md. Bump PAYLOAD_VERSION's minor number for added fields and its major number
for anything a receiver could misread; receivers should ignore fields they do not know.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.utils import timezone

from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import Channel, Role
from shopwatch.evidence.selectors import evidence_queryset, on_incidents_q
from shopwatch.reporting.models import GoodsLine, Incident, IncidentOffender, IncidentVehicle
from shopwatch.subjects.selectors import person_queryset

PAYLOAD_SCHEMA = "https://shopwatch.example/schemas/handoff"
PAYLOAD_VERSION = "1.0"
SIGNATURE_HEADER = "X-ShopWatch-Signature"


def sign(body: bytes, secret: str) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of the body under the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, secret: str, header: str) -> bool:
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _person(o: IncidentOffender, pid: str, visible: set[int]) -> dict[str, Any]:
    p = o.person
    entry: dict[str, Any] = {"id": pid, "role": "suspect", "description": o.description}
    if p is None:
        entry["known"] = False
        return entry
    if p.pk not in visible:
        # The same rule as everywhere else: a person's details go only to those who may see the person.
        entry.update(known=True, shared=False)
        return entry
    entry.update(
        known=True,
        shopwatch_person_id=p.pk,
        status=p.status,
        given_name=p.given_name,
        family_name=p.family_name,
        aliases=[a.name for a in p.aliases.all()],
        date_of_birth=p.date_of_birth.isoformat() if p.date_of_birth else None,
        age_min=p.age_min,
        age_max=p.age_max,
        height_cm=p.height_cm,
        build=p.build,
        hair=p.hair,
        distinguishing_features=p.distinguishing_features,
    )
    return entry


def force_viewer(force_id: int) -> Viewer:
    """The force as a whole (its records system): what every one of its police may see."""
    return Viewer(
        user_id=0,
        roles=frozenset({Role.POLICE_INVESTIGATOR}),
        org_wide_ids=frozenset({force_id}),
        police_force_ids=frozenset({force_id}),
        primary_org_id=force_id,
        force_id=force_id,
        channel=Channel.SYSTEM,
    )


def build_payload(
    incident: Incident, *, viewer: Viewer | None = None, evidence_url: Any = None
) -> dict[str, Any]:
    """The POLE document for one incident, as ``viewer`` may see it (by default the incident's force as a
    whole): linked persons' details and evidence files only where the entitlement mechanism shows them to the
    viewer. ``evidence_url(file)`` gives each exhibit's link."""
    if viewer is None:
        assert incident.force_id is not None
        viewer = force_viewer(incident.force_id)
    store = incident.store
    offenders = list(
        IncidentOffender.objects.filter(incident=incident)
        .select_related("person")
        .prefetch_related("person__aliases")
        .order_by("id")
    )
    vehicles = list(
        IncidentVehicle.objects.filter(incident=incident).select_related("vehicle").order_by("id")
    )
    goods = list(GoodsLine.objects.filter(incident=incident).order_by("id"))
    # The incident's files and those linked to it from another incident that the viewer may see (a link never
    # widens a file's audience); not those deleted under retention.
    files = list(
        evidence_queryset(viewer)
        .filter(on_incidents_q([incident.pk]), deleted_at__isnull=True)
        .order_by("created_at", "id")
    )
    linked_people = [o.person_id for o in offenders if o.person_id is not None]
    visible = set(person_queryset(viewer).filter(pk__in=linked_people).values_list("pk", flat=True))

    people: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    if incident.reported_by is not None:
        people.append(
            {
                "id": "P0",
                "role": "reporter",
                "name": incident.reported_by.full_name,
                "email": incident.reported_by.email,
            }
        )
        links.append({"from": "P0", "to": "E1", "relation": "reported"})
    for i, o in enumerate(offenders, start=1):
        people.append(_person(o, f"P{i}", visible))
        links.append({"from": f"P{i}", "to": "E1", "relation": "suspect_in"})
    for i, v in enumerate(vehicles, start=1):
        veh = v.vehicle
        objects.append(
            {
                "id": f"V{i}",
                "kind": "vehicle",
                "registration": veh.registration,
                "make": veh.make,
                "model": veh.model,
                "colour": veh.colour,
                "description": v.description,
            }
        )
        links.append({"from": f"V{i}", "to": "E1", "relation": "used_in"})
    for i, g in enumerate(goods, start=1):
        objects.append(
            {
                "id": f"G{i}",
                "kind": "property",
                "description": g.description,
                "quantity": g.quantity,
                "value": str(g.value),
                "currency": "GBP",
                "recovered": g.recovered,
            }
        )
        links.append({"from": f"G{i}", "to": "E1", "relation": "stolen_in"})
    evidence = []
    for i, f in enumerate(files, start=1):
        evidence.append(
            {
                "id": f"X{i}",
                "kind": "image" if f.content_type.startswith("image/") else "file",
                "filename": f.original_filename,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "captured_at": _iso(f.captured_at),
                "url": evidence_url(f) if evidence_url else None,
            }
        )
        links.append({"from": f"X{i}", "to": "E1", "relation": "evidence_of"})
    links.append({"from": "E1", "to": "L1", "relation": "occurred_at"})

    return {
        "schema": PAYLOAD_SCHEMA,
        "version": PAYLOAD_VERSION,
        "generated_at": timezone.now().isoformat(),
        "source": {
            "system": "ShopWatch",
            "incident_id": incident.pk,
            "reference": incident.reference,
            "retailer_reference": incident.external_ref,
        },
        "force": {"slug": incident.force.slug, "name": incident.force.name},
        "event": {
            "id": "E1",
            "type": incident.type,
            "offence": {"code": incident.offence_code, "label": incident.offence_label},
            "occurred_at": incident.occurred_at.isoformat(),
            "reported_at": incident.created_at.isoformat(),
            "description": incident.description,
            "flags": incident.flags,
            "priority": incident.priority,
            "priority_reasons": incident.priority_reasons,
            "goods_value": str(incident.goods_value),
            "currency": "GBP",
        },
        "people": people,
        "objects": objects,
        "locations": [
            {
                "id": "L1",
                "kind": "store",
                "name": store.name,
                "retailer": store.retailer.name,
                "store_code": store.code,
                "address": store.address,
                "town": store.town,
                "postcode": store.postcode,
                "latitude": store.latitude,
                "longitude": store.longitude,
                "detail": incident.location_detail,
            }
        ],
        "evidence": evidence,
        "links": links,
    }


def encode(payload: dict[str, Any]) -> str:
    """The exact text sent and signed: UTF-8 JSON, keys sorted, no insignificant white space."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

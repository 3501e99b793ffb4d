"""The forensic-marking registry through the API: kits the caller may see, and the police code look-up."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from shopwatch.core.api import Id, ProblemOut, StrictId, viewer_of

from . import selectors, services
from .models import MarkingKit

router = Router(tags=["marking"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ProblemOut)


class KitOut(Schema):
    id: int
    code: str = Field(description="The unique code, or the first of a range")
    code_label: str = Field(description="The code or range as written on the kit")
    product: str
    kind: str
    batch: str
    store: int
    store_name: str
    holder: str = Field(description="The organisation holding the kit")
    issued_to: str
    issued_on: dt.date
    expires_on: dt.date | None


class KitListOut(Schema):
    items: list[KitOut]
    next: str | None


def _kit(k: MarkingKit) -> dict[str, Any]:
    return {
        "id": k.pk,
        "code": k.code,
        "code_label": k.code_label,
        "product": k.product,
        "kind": k.kind,
        "batch": k.batch,
        "store": k.store_id,
        "store_name": k.store.name,
        "holder": k.owner_org.name,
        "issued_to": k.issued_to,
        "issued_on": k.issued_on,
        "expires_on": k.expires_on,
    }


@router.get("/marking/kits", response={200: KitListOut, **ERRORS}, summary="Marking kits")
def kits(request: HttpRequest) -> Any:
    """Kits and sprays the caller may see: their own store's, their retailer's, their partnerships'
    stores', or (police) their force area's."""
    viewer = viewer_of(request)
    return {"items": [_kit(k) for k in selectors.kit_list(viewer=viewer)], "next": None}


class DeploymentOut(Schema):
    incident: int | None = Field(description="The incident's id, when the caller may open it")
    incident_reference: str | None
    deployed_at: dt.datetime
    deployed_by: str
    where: str
    target: str = Field(description="person, property or vehicle")


class PropertyOut(Schema):
    id: int
    code: str
    product: str
    description: str
    registered_on: dt.date


class LookupOut(Schema):
    code: str
    belongs_to: str = Field(description="kit or property")
    kit: KitOut | None
    property: PropertyOut | None
    holder: str = Field(description="The organisation to contact")
    store: int | None
    store_name: str | None
    store_postcode: str | None
    deployments: list[DeploymentOut]
    other_deployments: int = Field(description="Deployments in incidents the caller may not open")


@router.get("/marking/lookup", response={200: LookupOut, **ERRORS}, summary="Look up a marking code")
def lookup(request: HttpRequest, code: Annotated[str, Field(min_length=1, max_length=80)]) -> Any:
    """What a code read from a suspect or an item belongs to: the kit (or a code in its range) or the
    marked property, the incidents the kit was deployed in and the holder to contact. Audited. 404 for
    a code that does not exist or that the caller may not see: a store finds only its own codes."""
    viewer = viewer_of(request)
    found = selectors.code_lookup(viewer=viewer, code=code)
    item = found.kit or found.marked
    assert item is not None
    store = item.store
    shown = [d for d in found.deployments if d.incident_id in found.visible_incident_ids]
    return {
        "code": found.code,
        "belongs_to": "kit" if found.kit else "property",
        "kit": _kit(found.kit) if found.kit else None,
        "property": (
            {
                "id": found.marked.pk,
                "code": found.marked.code,
                "product": found.marked.product,
                "description": found.marked.description,
                "registered_on": found.marked.registered_on,
            }
            if found.marked
            else None
        ),
        "holder": found.holder,
        "store": store.pk if store else None,
        "store_name": store.name if store else None,
        "store_postcode": getattr(store, "postcode", None) if store else None,
        "deployments": [
            {
                "incident": d.incident_id,
                "incident_reference": d.incident.reference,
                "deployed_at": d.deployed_at,
                "deployed_by": d.deployed_by,
                "where": d.where,
                "target": d.target,
            }
            for d in shown
        ],
        "other_deployments": len(found.deployments) - len(shown),
    }


class KitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    store: StrictId
    product: str = Field(description="smartwater, selectadna, smarttag or other")
    kind: str = Field(description="spray, fixed or property_kit")
    batch: str
    code: str = Field(description="The unique code, or the first of a range")
    last_code: str = Field("", description="The last code of a range (same letters, consecutive numbers)")
    issued_to: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None


@router.post("/marking/kits", response={201: KitOut, **ERRORS}, summary="Register a kit issued to a store")
def kit_create(request: HttpRequest, payload: KitIn) -> Any:
    viewer = viewer_of(request)
    kit = services.kit_issue(
        viewer=viewer,
        store_id=payload.store,
        product=payload.product,
        kind=payload.kind,
        batch=payload.batch,
        code=payload.code,
        last_code=payload.last_code,
        issued_to=payload.issued_to,
        issued_on=payload.issued_on,
        expires_on=payload.expires_on,
    )
    return Status(201, _kit(selectors.kit_get(viewer=viewer, kit_id=kit.pk)))


class DeploymentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    incident: StrictId
    deployed_by: str
    deployed_at: dt.datetime
    target: str = Field(description="person, property or vehicle")
    where: str = ""
    target_detail: str = ""


@router.post(
    "/marking/kits/{kit_id}/deployments",
    response={201: DeploymentOut, **ERRORS},
    summary="Log a kit's use in an incident",
)
def deployment_create(request: HttpRequest, kit_id: Id, payload: DeploymentIn) -> Any:
    viewer = viewer_of(request)
    d = services.deployment_record(
        viewer=viewer,
        kit_id=kit_id,
        incident_id=payload.incident,
        deployed_by=payload.deployed_by,
        deployed_at=payload.deployed_at,
        target=payload.target,
        where=payload.where,
        target_detail=payload.target_detail,
    )
    return Status(
        201,
        {
            "incident": d.incident_id,
            "incident_reference": d.incident.reference,
            "deployed_at": d.deployed_at,
            "deployed_by": d.deployed_by,
            "where": d.where,
            "target": d.target,
        },
    )


class PropertyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    store: StrictId
    product: str
    code: str
    description: str


@router.post("/marking/property", response={201: PropertyOut, **ERRORS}, summary="Register marked property")
def property_create(request: HttpRequest, payload: PropertyIn) -> Any:
    viewer = viewer_of(request)
    p = services.property_register(
        viewer=viewer,
        store_id=payload.store,
        product=payload.product,
        code=payload.code,
        description=payload.description,
    )
    return Status(
        201,
        {
            "id": p.pk,
            "code": p.code,
            "product": p.product,
            "description": p.description,
            "registered_on": p.registered_on,
        },
    )


class SignageOut(Schema):
    store: int
    store_name: str
    latitude: float
    longitude: float
    product: str
    since: dt.date


@router.get(
    "/marking/signage", response={200: list[SignageOut], **ERRORS}, summary="Stores displaying signage"
)
def signage(request: HttpRequest, partnership: Id | None = None) -> Any:
    """Stores displaying forensic-marking signage in the caller's partnerships (or one of them), with their
    coordinates for the map."""
    viewer = viewer_of(request)
    return [
        {
            "store": s.store_id,
            "store_name": s.store.name,
            "latitude": s.store.latitude,
            "longitude": s.store.longitude,
            "product": s.product,
            "since": s.since,
        }
        for s in selectors.signage_list(viewer=viewer, partnership_id=partnership)
    ]

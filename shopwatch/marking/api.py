"""The forensic-marking registry through the API: kits the caller may see, and the police code look-up."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from shopwatch.core.api import ProblemOut, viewer_of

from . import selectors
from .models import MarkingKit

router = Router(tags=["marking"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 422, 429), ProblemOut)


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

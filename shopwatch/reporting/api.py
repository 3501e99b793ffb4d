"""One Touch Reporting: the incident API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from shopwatch.core.api import (
    CursorParam,
    Id,
    ProblemError,
    ProblemOut,
    decode_cursor,
    encode_cursor,
    next_url,
    viewer_of,
)
from shopwatch.core.errors import FieldError
from shopwatch.core.idempotency import request_fingerprint, run_idempotent

from . import selectors, services
from .models import Incident, IncidentType
from .schemas import (
    BatchIn,
    BatchItemIn,
    BatchOut,
    IncidentCreatedOut,
    IncidentIn,
    IncidentListOut,
    IncidentOut,
)

router = Router(tags=["incidents"])

ERRORS: dict[int, Any] = {
    400: ProblemOut,
    401: ProblemOut,
    404: ProblemOut,
    409: ProblemOut,
    413: ProblemOut,
    415: ProblemOut,
    422: ProblemOut,
    429: ProblemOut,
}


def to_input(body: IncidentIn) -> services.IncidentInput:
    return services.IncidentInput(
        store_id=body.store,
        type=body.type,
        occurred_at=body.occurred_at,
        description=body.description,
        flags=[str(f) for f in body.flags],
        report_to_police=body.report_to_police,
        goods=[
            services.GoodsInput(
                description=g.description, value=g.value, quantity=g.quantity, recovered=g.recovered
            )
            for g in body.goods
        ],
        goods_value=body.goods_value,
        offenders=[
            services.OffenderInput(person_id=o.person, description=o.description) for o in body.offenders
        ],
        vehicles=[
            services.VehicleInput(registration=v.registration, description=v.description)
            for v in body.vehicles
        ],
        location_detail=body.location_detail,
        external_ref=body.external_ref,
        distribution=str(body.distribution) if body.distribution else None,
        sharing_group=body.sharing_group,
    )


def incident_url(incident: Incident) -> str:
    return reverse("reporting:incident-detail", args=[incident.pk])


def created_body(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "url": incident_url(incident),
        "status": incident.status,
        "priority": incident.priority,
        "priority_reasons": incident.priority_reasons,
        "offence_class": {"code": incident.offence_code, "label": incident.offence_label},
        "created_at": incident.created_at.isoformat(),
    }


def full_body(incident: Incident) -> dict[str, Any]:
    return {
        **created_body(incident),
        "created_at": incident.created_at,
        "store": incident.store_id,
        "store_name": incident.store.name,
        "type": incident.type,
        "occurred_at": incident.occurred_at,
        "description": incident.description,
        "location_detail": incident.location_detail,
        "flags": incident.flags,
        "goods_value": incident.goods_value,
        "goods": [
            {"description": g.description, "quantity": g.quantity, "value": g.value, "recovered": g.recovered}
            for g in incident.goods.all()
        ],
        "offenders": [
            {"person": o.person_id, "description": o.description} for o in incident.offenders.all()
        ],
        "vehicles": [
            {"registration": v.vehicle.registration, "description": v.description}
            for v in incident.vehicles.all()
        ],
        "report_to_police": incident.report_to_police,
        "sent_to_police": incident.sent_to_police,
        "crime_reference": incident.crime_reference,
        "distribution": incident.distribution,
        "channel": incident.channel,
        "external_ref": incident.external_ref,
        "updated_at": incident.updated_at,
    }


def _json_response(status: int, body: dict[str, Any], replayed: bool = False) -> HttpResponse:
    import json

    response = HttpResponse(json.dumps(body, default=str), status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.post("/incidents", response={201: IncidentCreatedOut, **ERRORS}, summary="Report one incident")
def create_incident(request: HttpRequest, payload: IncidentIn) -> Any:
    """Creates one incident and answers 201 with its id, reference, status, priority and offence class.

    Send an `Idempotency-Key` header to make retries safe: a repeat with the same key and body returns
    the first answer and creates nothing; the same key with a different body is refused with 409.
    """
    viewer = viewer_of(request)
    data = to_input(payload)
    key = request.headers.get("Idempotency-Key")
    if key is None:
        incident = services.incident_create(viewer=viewer, data=data)
        return _json_response(201, created_body(incident))

    def produce() -> tuple[int, dict[str, Any]]:
        incident = services.incident_create(viewer=viewer, data=data)
        return 201, created_body(incident)

    assert viewer.user_id is not None
    status, body, replayed = run_idempotent(
        user_id=viewer.user_id,
        key=key,
        fingerprint=request_fingerprint(payload.model_dump(mode="json")),
        produce=produce,
    )
    return _json_response(status, body, replayed)


@router.post("/incidents/batch", response={200: BatchOut, **ERRORS}, summary="Report up to 500 incidents")
def create_incidents_batch(request: HttpRequest, payload: BatchIn) -> Any:
    """Per-item results: each incident is accepted or refused on its own, and the answer lists one
    result per item in order (`status` 201 created, 200 replayed, 409 key reused, 422 invalid).

    Idempotency per item: an item's key is its own `idempotency_key`, or else
    `<Idempotency-Key header>:<index>`. A replayed item returns its first answer and creates nothing.
    """
    viewer = viewer_of(request)
    if len(payload.incidents) > settings.SHOPWATCH_BATCH_MAX:
        raise ProblemError(
            413,
            "Batch too large",
            [FieldError("incidents", f"At most {settings.SHOPWATCH_BATCH_MAX} per batch.")],
        )
    header_key = request.headers.get("Idempotency-Key")
    items: list[services.IncidentInput | list[FieldError]] = []
    keys: list[str | None] = []
    fingerprints: list[str] = []
    from shopwatch.core.api import _field_name, _message

    for i, raw in enumerate(payload.incidents):
        fingerprints.append(request_fingerprint(raw))
        item_key = raw.get("idempotency_key") if isinstance(raw, dict) else None
        keys.append(str(item_key) if item_key else (f"{header_key}:{i}" if header_key else None))
        try:
            parsed = BatchItemIn.model_validate(raw)
        except PydanticValidationError as exc:
            items.append(
                [
                    FieldError(f"incidents[{i}]." + _field_name(tuple(e["loc"])), _message(dict(e)))
                    for e in exc.errors()
                ]
            )
            continue
        items.append(to_input(parsed))
    results = services.incidents_create_batch(
        viewer=viewer, items=items, keys=keys, fingerprints=fingerprints, render=created_body
    )
    out: list[dict[str, Any]] = []
    for r in results:
        if r.replayed_response is not None:
            out.append({"index": r.index, "status": 200, "incident": r.replayed_response, "errors": []})
        else:
            out.append(
                {
                    "index": r.index,
                    "status": r.status,
                    "incident": created_body(r.incident) if r.incident else None,
                    "errors": [e.as_dict() for e in r.errors],
                }
            )
    statuses = [int(r["status"]) for r in out]
    return {
        "created": statuses.count(201),
        "replayed": statuses.count(200),
        "failed": sum(1 for s in statuses if s >= 400),
        "results": out,
    }


class IncidentQuery(Schema):
    store: Id | None = None
    type: IncidentType | None = None
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    updated_since: dt.datetime | None = None
    cursor: CursorParam | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/incidents", response={200: IncidentListOut, **ERRORS}, summary="List incidents you may see")
def list_incidents(request: HttpRequest, filters: Query[IncidentQuery]) -> Any:
    """Newest first. Follow `next` until it is null. Filters: store, type, date_from/date_to
    (on when it happened), updated_since (on when it last changed)."""
    viewer = viewer_of(request)
    limit = filters.limit
    after = decode_cursor(filters.cursor, "datetime", "int")
    with transaction.atomic():
        rows, cursor = selectors.incident_page(
            viewer=viewer,
            filters=selectors.IncidentFilters(
                store=filters.store,
                type=filters.type,
                date_from=filters.date_from,
                date_to=filters.date_to,
                updated_since=filters.updated_since,
            ),
            after=after,
            limit=limit,
        )
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(rows, "goods", "offenders", "vehicles__vehicle")
    return {
        "items": [full_body(r) for r in rows],
        "next": next_url(request, encode_cursor(cursor) if cursor else None),
    }


@router.get("/incidents/{incident_id}", response={200: IncidentOut, **ERRORS}, summary="One incident")
def get_incident(request: HttpRequest, incident_id: Id) -> Any:
    with transaction.atomic():
        incident = selectors.incident_detail(viewer=viewer_of(request), incident_id=incident_id)
    return full_body(incident)

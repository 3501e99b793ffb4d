"""Alerts API: raise one by hand, list the caller's, acknowledge one. The stream is in stream.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StrictStr

from shopwatch.core.api import Id, ProblemOut, StrictId, viewer_of

from . import selectors, services
from .models import AlertKind

router = Router(tags=["alerts"])
ERRORS: dict[int, Any] = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 404: ProblemOut, 422: ProblemOut}


class AlertIn(Schema):
    model_config = ConfigDict(extra="forbid")
    store: StrictId
    message: StrictStr = Field(min_length=1, max_length=500)
    kind: AlertKind = AlertKind.MANUAL


class AlertOut(Schema):
    id: int
    created_at: dt.datetime
    message: str
    kind: str
    store: int
    store_name: str
    incident: int | None
    seen_by: int
    acknowledged_by: int


class AlertListOut(Schema):
    items: list[AlertOut]
    next: str | None


def _body(alert: Any) -> dict[str, Any]:
    receipts = list(alert.receipts.all())
    return {
        "id": alert.pk,
        "created_at": alert.created_at,
        "message": alert.message,
        "kind": alert.kind,
        "store": alert.store_id,
        "store_name": alert.store.name,
        "incident": alert.incident_id,
        "seen_by": len(receipts),
        "acknowledged_by": sum(1 for r in receipts if r.acknowledged_at),
    }


@router.post("/alerts", response={201: AlertOut, **ERRORS}, summary="Raise an alert for a store's area")
def raise_alert(request: HttpRequest, payload: AlertIn) -> Any:
    """Reaches every member of the store's partnerships (narrowed by each member's radius choice) on open
    pages within seconds, and by email and web push as they chose. Only people who may report for the
    store, and police in its force area, may alert its area (403 otherwise)."""
    alert = services.alert_raise(
        viewer=viewer_of(request), store_id=payload.store, message=payload.message, kind=payload.kind
    )
    return Status(201, _body(alert))


@router.get("/alerts", response={200: AlertListOut, **ERRORS}, summary="Recent alerts in your areas")
def list_alerts(request: HttpRequest) -> Any:
    return {"items": [_body(a) for a in selectors.alert_list(viewer=viewer_of(request))], "next": None}


@router.post("/alerts/{alert_id}/ack", response={200: AlertOut, **ERRORS}, summary="Acknowledge an alert")
def acknowledge(request: HttpRequest, alert_id: Id) -> Any:
    viewer = viewer_of(request)
    with transaction.atomic():
        alert = selectors.alert_detail(viewer=viewer, alert_id=alert_id)
        services.alert_acknowledge(viewer=viewer, alert=alert)
    return _body(selectors.alert_detail(viewer=viewer, alert_id=alert_id))

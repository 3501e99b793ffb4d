"""The One Touch Reporting contract: typed request and response bodies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr

from shopwatch.core.api import FieldErrorOut, StrictId
from shopwatch.core.models import Distribution

from .models import Flag, IncidentType, Priority


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


Money = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), decimal_places=2, allow_inf_nan=False)]


class GoodsIn(_Strict):
    description: StrictStr = Field(min_length=1, max_length=200)
    value: Money = Field(description="Total value of the line in pounds, e.g. 12.50")
    quantity: StrictInt = Field(1, ge=1, le=100_000)
    recovered: StrictBool = False


class OffenderIn(_Strict):
    person: StrictId | None = Field(None, description="Id of a known person the caller can see")
    description: StrictStr = Field("", max_length=1000, description="What they looked like, if not known")


class VehicleIn(_Strict):
    registration: StrictStr = Field(
        min_length=1, max_length=20, description="UK registration mark, e.g. AB12 CDE"
    )
    description: StrictStr = Field("", max_length=200, description="Make, model, colour")


class IncidentIn(_Strict):
    store: StrictId = Field(description="Id of the store (see GET /api/v1/stores, can_report)")
    type: IncidentType
    occurred_at: dt.datetime = Field(description="ISO 8601; without an offset it is read as UK local time")
    description: StrictStr = Field(min_length=1, max_length=10_000)
    flags: list[Flag] = Field(default_factory=list, max_length=6)
    report_to_police: StrictBool = False
    goods: list[GoodsIn] = Field(default_factory=list, max_length=100)
    goods_value: Money | None = Field(None, description="Total value taken, if goods are not itemised")
    offenders: list[OffenderIn] = Field(default_factory=list, max_length=20)
    vehicles: list[VehicleIn] = Field(default_factory=list, max_length=10)
    location_detail: StrictStr = Field("", max_length=200)
    external_ref: StrictStr = Field("", max_length=100, description="Your own system's incident id")
    distribution: Distribution | None = Field(None, description="Defaults to the store's partnerships")
    sharing_group: StrictStr | None = Field(
        None, description="Slug of a named sharing group, with distribution=group"
    )


class BatchItemIn(IncidentIn):
    idempotency_key: StrictStr | None = Field(
        None, max_length=255, description="Per-item key; defaults to '<Idempotency-Key header>:<index>'"
    )


class BatchIn(_Strict):
    incidents: list[dict[str, object]] = Field(min_length=1, description="Up to 500 incident bodies")


class OffenceOut(Schema):
    code: str
    label: str


class GoodsOut(Schema):
    description: str
    quantity: int
    value: Decimal
    recovered: bool


class OffenderOut(Schema):
    person: int | None
    description: str


class VehicleOut(Schema):
    registration: str
    description: str


class IncidentOut(Schema):
    id: int
    reference: str
    url: str
    status: str
    priority: Priority
    priority_reasons: list[str]
    offence_class: OffenceOut
    store: int
    store_name: str
    type: IncidentType
    occurred_at: dt.datetime
    description: str
    location_detail: str
    flags: list[str]
    goods_value: Decimal
    goods: list[GoodsOut]
    offenders: list[OffenderOut]
    vehicles: list[VehicleOut]
    report_to_police: bool
    sent_to_police: bool
    crime_reference: str
    distribution: str
    channel: str
    external_ref: str
    created_at: dt.datetime
    updated_at: dt.datetime


class IncidentCreatedOut(Schema):
    id: int
    reference: str
    url: str
    status: str
    priority: Priority
    priority_reasons: list[str]
    offence_class: OffenceOut
    created_at: dt.datetime


class IncidentListOut(Schema):
    items: list[IncidentOut]
    next: str | None


class BatchResultOut(Schema):
    index: int
    status: int
    incident: IncidentCreatedOut | None = None
    errors: list[FieldErrorOut] = Field(default_factory=list)


class BatchOut(Schema):
    created: int
    replayed: int
    failed: int
    results: list[BatchResultOut]

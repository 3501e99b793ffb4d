"""API endpoints about organisations and stores."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from .api import CursorParam, decode_cursor, encode_cursor, next_url, viewer_of
from .selectors import store_list

router = Router(tags=["stores"])


class StoreOut(Schema):
    id: int
    name: str
    code: str
    retailer: str
    address: str
    town: str
    postcode: str
    latitude: float
    longitude: float
    partnerships: list[str]
    force: str
    can_report: bool


class StoreListOut(Schema):
    items: list[StoreOut]
    next: str | None


@router.get(
    "/stores",
    response=StoreListOut,
    summary="Stores you may see",
    description=(
        "Each store with its retailer (slug), partnerships (slugs), force (slug) "
        "and whether you may report for it."
    ),
)
def list_stores(
    request: HttpRequest, cursor: CursorParam | None = None, limit: Annotated[int, Field(ge=1, le=500)] = 100
) -> Any:
    viewer = viewer_of(request)
    after = decode_cursor(cursor, "int")
    qs = store_list(viewer=viewer).order_by("id")
    if after:
        qs = qs.filter(id__gt=int(str(after[0])))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "id": s.pk,
            "name": s.name,
            "code": s.code,
            "retailer": s.retailer.slug,
            "address": s.address,
            "town": s.town,
            "postcode": s.postcode,
            "latitude": s.latitude,
            "longitude": s.longitude,
            "partnerships": sorted(p.slug for p in s.partnerships.all()),
            "force": s.force.slug,
            "can_report": viewer.can_report_for(s.pk),
        }
        for s in rows
    ]
    nxt = encode_cursor([rows[-1].pk]) if more and rows else None
    return {"items": items, "next": next_url(request, nxt)}

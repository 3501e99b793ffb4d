"""API for upload links: an investigator asks a store for footage with a single-use, expiring link."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from shopwatch.core.api import Id, viewer_of

from .services import uploaders

router = Router(tags=["evidence"])


class UploadLinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    hours: int | None = None
    note: str = ""


class UploadLinkOut(Schema):
    id: int
    incident: int
    url: str
    expires_at: dt.datetime


@router.post("/incidents/{incident_id}/upload-links", response={201: UploadLinkOut})
def upload_link_create(request: HttpRequest, incident_id: Id, payload: UploadLinkIn) -> Status[UploadLinkOut]:
    """Make a link (shown once) that lets the store send files for this incident without an account.

    Police only; the link works once and expires after `hours` (default from settings, at most 336).
    What arrives through it becomes evidence on the incident and the investigator is emailed.
    """
    new = uploaders.upload_link_create(
        viewer=viewer_of(request),
        incident_id=incident_id,
        hours=payload.hours if payload.hours is not None else settings.SHOPWATCH_UPLOAD_LINK_HOURS,
        note=payload.note,
    )
    return Status(
        201,
        UploadLinkOut(
            id=new.link.pk,
            incident=new.link.incident_id,
            url=request.build_absolute_uri(f"/u/{new.token}/"),
            expires_at=new.link.expires_at,
        ),
    )

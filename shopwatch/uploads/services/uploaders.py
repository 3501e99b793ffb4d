"""Who is uploading: a signed-in reporter, or a single-use upload link (made, checked, sent)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer, get_visible
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Channel
from shopwatch.reporting.selectors import incident_queryset

from ..models import UploadLink
from .common import LINK_PREFIX


@dataclass(frozen=True)
class Uploader:
    """The caller: a person (session or API key), or the holder of a single-use upload link."""

    viewer: Viewer
    link: UploadLink | None = None


def link_viewer(link: UploadLink) -> Viewer:
    """Who acts when a link is used: nobody signed in; the audit trail names the link and its creator."""
    return Viewer(user_id=None, channel=Channel.WEB, primary_org_id=link.incident.owner_org_id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def upload_link_find(token: str) -> UploadLink | None:
    if not token.startswith(LINK_PREFIX) or len(token) > 200:
        return None
    link = (
        UploadLink.objects.select_related("incident", "created_by")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, _token_hash(token)):
        return None
    return link


def upload_link_problem(link: UploadLink) -> str | None:
    """Why a link can no longer be used to start sending files, or None if it can."""
    if link.used_at is not None:
        return (
            f"This upload link was used on {timezone.localtime(link.used_at):%d %B %Y at %H:%M}. "
            "Each link works once; ask the investigator for a new one if you have more to send."
        )
    if link.expires_at <= timezone.now():
        return (
            f"This upload link expired on {timezone.localtime(link.expires_at):%d %B %Y at %H:%M}. "
            "Ask the investigator for a new one."
        )
    return None


@dataclass(frozen=True)
class NewLink:
    link: UploadLink
    token: str  # shown once, inside the link; only its hash is kept


@transaction.atomic
def upload_link_create(
    *, viewer: Viewer, incident_id: int, hours: int | None = None, note: str = ""
) -> NewLink:
    """A single-use, expiring link for a store to send footage for one incident, made by an investigator."""
    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    require(viewer, Action.REQUEST_FOOTAGE, incident)
    assert viewer.user_id is not None  # the table refuses anyone not signed in
    hours = settings.SHOPWATCH_UPLOAD_LINK_HOURS if hours is None else hours
    errors = []
    if not 1 <= hours <= 24 * 14:
        errors.append(FieldError("hours", "Choose between 1 hour and 14 days (336 hours)."))
    note = (note or "").strip()
    if len(note) > 500:
        errors.append(FieldError("note", "At most 500 characters."))
    if errors:
        raise ValidationFailed(errors)
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    link = UploadLink.objects.create(
        incident=incident,
        created_by_id=viewer.user_id,
        token_hash=_token_hash(token),
        note=note,
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="upload_link",
        object_id=link.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference}: upload link for the store, {hours} hours",
        detail={"incident": incident.pk, "expires_at": link.expires_at.isoformat()},
    )
    return NewLink(link=link, token=token)

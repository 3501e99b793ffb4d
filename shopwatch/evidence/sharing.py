"""Sharing evidence with a named police force or a named investigator, until an expiry."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import POLICE_ROLES, AuditAction, Membership, Organisation, OrganisationKind, User

from .custody import custody_append
from .models import CustodyAction, EvidenceShare
from .selectors import evidence_to_change

MAX_SHARE_DAYS = 365


@transaction.atomic
def evidence_share_create(
    *,
    viewer: Viewer,
    evidence_id: int,
    force: str = "",
    user: str = "",
    days: int | None = None,
    reason: str = "",
) -> EvidenceShare:
    """Share one file with a force (by its slug) or an investigator (by email) for ``days`` days."""
    evidence = evidence_to_change(viewer=viewer, evidence_id=evidence_id)
    incident = evidence.incident
    require(viewer, Action.SHARE_EVIDENCE_WITH_POLICE, evidence)
    errors: list[FieldError] = []
    force = (force or "").strip()
    user = (user or "").strip()
    with_force: Organisation | None = None
    with_user: User | None = None
    if bool(force) == bool(user):
        errors.append(
            FieldError("force", "Name either a police force (force) or an investigator (user), not both.")
        )
    elif force:
        with_force = Organisation.objects.filter(slug=force, kind=OrganisationKind.POLICE_FORCE).first()
        if with_force is None:
            errors.append(FieldError("force", f"'{force[:60]}' is not a police force in ShopWatch."))
    else:
        with_user = User.objects.filter(email__iexact=user, is_active=True).first()
        police = (
            with_user is not None
            and Membership.objects.filter(user=with_user, active=True, role__in=POLICE_ROLES).exists()
        )
        if not police:
            errors.append(FieldError("user", "Give the email of an active police investigator in ShopWatch."))
    if days is None or not 1 <= days <= MAX_SHARE_DAYS:
        errors.append(FieldError("days", f"Share for 1 to {MAX_SHARE_DAYS} days."))
    reason = (reason or "").strip()
    if len(reason) > 500:
        errors.append(FieldError("reason", "At most 500 characters."))
    if errors:
        raise ValidationFailed(errors)
    assert days is not None
    assert viewer.user_id is not None  # only signed-in people and keys see evidence
    now = timezone.now()
    share = EvidenceShare.objects.create(
        evidence=evidence,
        with_force=with_force,
        with_user=with_user,
        created_by_id=viewer.user_id,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
        reason=reason,
    )
    recipient = with_force.name if with_force else f"{with_user.full_name} <{with_user.email}>"  # type: ignore[union-attr]
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="evidence",
        object_id=evidence.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference}: {evidence.original_filename} shared with "
        f"{recipient} until {share.expires_at:%Y-%m-%d}",
        detail={"share": share.pk},
    )
    custody_append(
        evidence=evidence,
        action=CustodyAction.SHARED,
        viewer=viewer,
        detail={
            "share": share.pk,
            "with_force": with_force.slug if with_force else None,
            "with_user": with_user.email if with_user else None,
            "expires_at": share.expires_at.isoformat(),
            "reason": reason,
        },
    )
    return share

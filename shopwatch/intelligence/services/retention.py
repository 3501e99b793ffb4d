"""Retention: what a partnership's rules would remove, removing it, and the partnership's settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Distribution, Organisation, OrganisationKind
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_erase

from ..models import (
    ExclusionNotice,
    ExclusionStatus,
    GalleryEntry,
    GalleryStatus,
    NetworkSharing,
    PartnershipSettings,
)
from .common import _require_manager, settings_for


@dataclass
class RetentionPlan:
    partnership: Organisation
    entries_to_expire: list[GalleryEntry]
    persons_to_delete: list[Person]


def retention_plan(*, partnership: Organisation, now: dt.datetime | None = None) -> RetentionPlan:
    """What the next retention run will do for a partnership (the preview a manager sees)."""
    now = now or timezone.now()
    conf = settings_for(partnership)
    entries = list(
        GalleryEntry.objects.filter(
            partnership=partnership, status=GalleryStatus.ACTIVE, expires_at__lte=now
        ).select_related("person")
    )
    cutoff = now - relativedelta(months=conf.delete_after_months)
    active_exclusions = ExclusionNotice.objects.filter(
        status=ExclusionStatus.ACTIVE, ends_on__gte=timezone.localtime(now).date()
    )
    persons = list(
        Person.objects.filter(partnership=partnership)
        .filter(Q(last_incident_at__lt=cutoff) | Q(last_incident_at__isnull=True, created_at__lt=cutoff))
        .exclude(pk__in=active_exclusions.values("person_id"))
        .order_by("id")
    )
    return RetentionPlan(partnership=partnership, entries_to_expire=entries, persons_to_delete=persons)


def retention_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduled job: expire gallery entries and delete people past each partnership's period."""
    now = now or timezone.now()
    totals = {"expired": 0, "deleted": 0}
    for partnership in Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP):
        plan = retention_plan(partnership=partnership, now=now)
        with transaction.atomic():
            for entry in plan.entries_to_expire:
                entry.status, entry.updated_at = GalleryStatus.EXPIRED, now
                entry.save(update_fields=["status", "updated_at"])
            totals["expired"] += len(plan.entries_to_expire)
            conf = settings_for(partnership)
            for person in plan.persons_to_delete:
                person_erase(
                    viewer=None,
                    person=person,
                    reason=f"Retention: no new incidents for {conf.delete_after_months} months",
                )
            totals["deleted"] += len(plan.persons_to_delete)
        ExclusionNotice.objects.filter(
            partnership=partnership, status=ExclusionStatus.ACTIVE, ends_on__lt=timezone.localtime(now).date()
        ).update(status=ExclusionStatus.EXPIRED)
    return totals


@transaction.atomic
def settings_update(
    *,
    viewer: Viewer,
    partnership: Organisation,
    gallery_months: int,
    delete_after_months: int,
    network_sharing: str,
) -> PartnershipSettings:
    _require_manager(viewer, partnership)
    errors: list[FieldError] = []
    if not 1 <= gallery_months <= 36:
        errors.append(FieldError("gallery_months", "Between 1 and 36 months."))
    if not 1 <= delete_after_months <= 120:
        errors.append(FieldError("delete_after_months", "Between 1 and 120 months."))
    if network_sharing not in NetworkSharing.values:
        errors.append(FieldError("network_sharing", "Nothing, images only, or images and details."))
    if errors:
        raise ValidationFailed(errors)
    conf = settings_for(partnership)
    conf.gallery_months, conf.delete_after_months = gallery_months, delete_after_months
    conf.network_sharing, conf.updated_at = network_sharing, timezone.now()
    conf.save(update_fields=["gallery_months", "delete_after_months", "network_sharing", "updated_at"])
    GalleryEntry.objects.filter(partnership=partnership, status=GalleryStatus.ACTIVE).update(
        distribution=Distribution.CONNECTED
        if network_sharing != NetworkSharing.NONE
        else Distribution.PARTNERSHIP
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="partnership_settings",
        object_id=partnership.pk,
        partnership_id=partnership.pk,
        summary=(
            f"Gallery {gallery_months} months, delete after {delete_after_months}, network {network_sharing}"
        ),
    )
    return conf

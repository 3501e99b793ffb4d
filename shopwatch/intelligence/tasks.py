"""Scheduled and follow-up work for partnership intelligence."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count
from django.utils import timezone
from django_tasks import task

from shopwatch.core.mail import messages_send
from shopwatch.core.models import Membership, Role

from .models import Breach, GalleryEntry, GalleryStatus
from .services.retention import retention_run


@task()
def notify_breach(exclusion_id: int, incident_id: int) -> int:
    """Tell the partnership's managers that an excluded person was reported at a covered store."""
    breach = (
        Breach.objects.select_related("exclusion__person", "exclusion__partnership", "incident__store")
        .filter(exclusion_id=exclusion_id, incident_id=incident_id)
        .first()
    )
    if breach is None:
        return 0
    ex = breach.exclusion
    to = list(
        Membership.objects.filter(
            organisation=ex.partnership, role=Role.PARTNERSHIP_MANAGER, active=True
        ).values_list("user__email", flat=True)
    )
    site = getattr(settings, "SHOPWATCH_SITE_URL", "http://127.0.0.1:8000")
    if not to:
        return 0
    # Retried by a task if it fails (shopwatch.core.mail), never dropped.
    return messages_send(
        [
            EmailMessage(
                f"Exclusion breach: {ex.person.display_name} at {breach.incident.store.name}",
                f"{ex.person.display_name}, excluded until {ex.ends_on:%d %B %Y}, was reported at "
                f"{breach.incident.store.name} ({breach.incident.reference}).\n"
                f"{site}/intelligence/exclusions/{ex.pk}/\n",
                getattr(settings, "DEFAULT_FROM_EMAIL", "alerts@shopwatch.invalid"),
                to,
            )
        ]
    )


@task()
def notify_identification(report_id: int) -> int:
    """Tell the partnership's managers that a member suggested who an unidentified person is."""
    from .models import IntelligenceReport, SubjectKind

    report = (
        IntelligenceReport.objects.select_related("partnership")
        .filter(pk=report_id, kind=SubjectKind.IDENTIFICATION)
        .first()
    )
    if report is None:
        return 0
    to = list(
        Membership.objects.filter(
            organisation=report.partnership, role=Role.PARTNERSHIP_MANAGER, active=True
        ).values_list("user__email", flat=True)
    )
    if not to:
        return 0
    site = getattr(settings, "SHOPWATCH_SITE_URL", "http://127.0.0.1:8000")
    # No names in the email: who the suggestion names is read on the grading page, where the view is audited.
    return messages_send(
        [
            EmailMessage(
                f"Help identify: a member has suggested who someone is ({report.partnership.name})",
                f"A member of {report.partnership.name} has suggested who a person on the gallery is.\n"
                f"Check it and confirm or grade it: {site}/intelligence/grading/{report.pk}/\n",
                getattr(settings, "DEFAULT_FROM_EMAIL", "alerts@shopwatch.invalid"),
                to,
            )
        ]
    )


@task()
def run_retention() -> dict[str, int]:
    """Daily: expire gallery entries and delete people past each partnership's retention period."""
    return retention_run()


@task()
def send_weekly_digests() -> int:
    """Weekly: each partnership member gets new gallery entries, alerts and figures for their partnerships."""
    from shopwatch.alerts.models import Alert
    from shopwatch.core.entitlements import build_viewer
    from shopwatch.core.models import Store, User
    from shopwatch.reporting.models import Incident

    since = timezone.now() - dt.timedelta(days=7)
    messages = []
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "alerts@shopwatch.invalid")
    users = User.objects.filter(is_active=True, memberships__active=True).distinct()
    for user in users:
        viewer = build_viewer(user)
        if not viewer.partnership_ids:
            continue
        entries = GalleryEntry.objects.filter(
            partnership_id__in=viewer.partnership_ids, status=GalleryStatus.ACTIVE, listed_at__gte=since
        ).count()
        stores = Store.partnerships.through.objects.filter(organisation_id__in=viewer.partnership_ids).values(
            "store_id"
        )
        alerts = Alert.objects.filter(store__in=stores, created_at__gte=since).count()
        by_type = dict(
            Incident.objects.filter(
                store__in=stores,
                occurred_at__gte=since,
                distribution__in=["partnership", "connected", "all_partnerships", "police"],
            )
            .values("type")
            .annotate(n=Count("id"))
            .values_list("type", "n")
        )
        lines = [
            f"Your ShopWatch week to {timezone.localdate():%d %B %Y}",
            "",
            f"New people on your partnership galleries: {entries}",
            f"Live alerts in your area: {alerts}",
            f"Incidents shared in your partnerships: {sum(by_type.values())}",
        ]
        lines += [f"  {k.replace('_', ' ')}: {v}" for k, v in sorted(by_type.items())]
        messages.append(EmailMessage("Your ShopWatch week", "\n".join(lines) + "\n", sender, [user.email]))
    return messages_send(messages)  # each on its own; one that fails is retried by a task, never dropped

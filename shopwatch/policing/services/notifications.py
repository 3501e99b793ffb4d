"""Telling the reporting store what the police did: a Notification row each, and an email after commit."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from shopwatch.core.models import STORE_ROLES, Membership, User
from shopwatch.reporting.models import Incident

from ..models import Notification


def store_recipients(incident: Incident) -> list[User]:
    """The person who reported it and the store's active reporters and managers."""
    ids = set(
        Membership.objects.filter(
            store_id=incident.store_id, active=True, role__in=STORE_ROLES, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    if incident.reported_by_id is not None:
        ids.add(incident.reported_by_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("id"))


def notification_create_for_store(*, incident: Incident, subject: str, body: str) -> list[Notification]:
    """Write one notification per recipient; the emails go once the transaction commits."""
    now = timezone.now()
    rows = [
        Notification(user=user, incident=incident, subject=subject[:200], body=body[:2000], created_at=now)
        for user in store_recipients(incident)
    ]
    Notification.objects.bulk_create(rows)
    ids = [n.pk for n in rows if n.pk is not None]
    if ids:
        from ..tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.enqueue(ids))
    return rows


def notification_create_for_officer(
    *, user: User, incident: Incident, subject: str, body: str
) -> Notification:
    """Tell one officer (who asked the store for something) that it arrived; emailed after commit."""
    row = Notification.objects.create(
        user=user, incident=incident, subject=subject[:200], body=body[:2000], created_at=timezone.now()
    )
    from ..tasks import send_notification_emails

    transaction.on_commit(lambda: send_notification_emails.enqueue([row.pk]))
    return row


def notification_mark_read(*, user_id: int, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, user_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )

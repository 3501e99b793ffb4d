"""Background work: deliver hand-offs, send what is due, email notifications. Ids in, safe to retry."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from .models import Notification
from .services.handoff import deliveries_send_due, delivery_attempt


@task()
def deliver_handoff(delivery_id: int) -> str:
    """Try one hand-off now if it is due; a failure schedules the next try itself."""
    return delivery_attempt(delivery_id=delivery_id).status


@task()
def send_due_handoffs() -> int:
    """Send every pending hand-off whose next try is due (run every minute by the scheduler)."""
    return len(deliveries_send_due())


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email each notification not yet emailed; marks it so a retry does not send it twice."""
    sent = 0
    base = str(getattr(settings, "SHOPWATCH_BASE_URL", "")).rstrip("/")
    rows = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "user"
    )
    for n in rows:
        link = f"{base}/incidents/{n.incident_id}/"
        send_mail(
            subject=f"ShopWatch: {n.subject}",
            message=f"{n.body}\n\nSee the incident: {link}\n",
            from_email=None,
            recipient_list=[n.user.email],
        )
        Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent

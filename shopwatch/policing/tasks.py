"""Background work: deliver hand-offs, send what is due, email notifications. Ids in, safe to retry."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

from shopwatch.core.mail import enqueue_retry, send_each

from .models import Notification
from .services.handoff import deliveries_send_due, delivery_attempt, endpoint_not_answering


@task()
def deliver_handoff(delivery_id: int) -> str:
    """Try one hand-off now if it is due; a failure schedules the next try itself. While the force's receiving
    system is not answering, the scheduled round sends it instead (see endpoint_not_answering)."""
    if endpoint_not_answering(delivery_id=delivery_id):
        return "left to the scheduled round"
    return delivery_attempt(delivery_id=delivery_id).status


@task()
def send_due_handoffs() -> int:
    """Send every pending hand-off whose next try is due (run every minute by the scheduler)."""
    return len(deliveries_send_due())


@task()
def send_notification_emails(notification_ids: list[int], attempt: int = 1) -> int:
    """Email each notification not yet emailed; marks it so a retry does not send it twice. Those that
    fail are tried again by this task later (shopwatch.core.mail: up to MAX_ATTEMPTS tries), not dropped."""
    sent = 0
    base = str(getattr(settings, "SHOPWATCH_BASE_URL", "")).rstrip("/")
    rows = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("user")
    )
    messages = [
        EmailMessage(
            f"ShopWatch: {n.subject}",
            f"{n.body}\n\nSee the incident: {base}/incidents/{n.incident_id}/\n",
            None,
            [n.user.email],
        )
        for n in rows
    ]
    failed = set(send_each(messages))
    for i, n in enumerate(rows):
        if i not in failed:
            Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
            sent += 1
    if failed:
        enqueue_retry(send_notification_emails, [rows[i].pk for i in sorted(failed)], attempt=attempt + 1)
    return sent

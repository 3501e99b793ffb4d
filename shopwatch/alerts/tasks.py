"""Delivering an alert beyond open pages: email, and web push where the member enabled it."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task

from shopwatch.core.mail import messages_send
from shopwatch.core.models import User

from .broadcaster import event_payload
from .models import Alert, AlertPreference, PushSubscription
from .selectors import alert_recipient_ids


@task()
def deliver_alert(alert_id: int) -> dict[str, int]:
    alert = Alert.objects.select_related("store").filter(pk=alert_id).first()
    if alert is None:
        return {"emails": 0, "pushes": 0}
    recipients = alert_recipient_ids(alert)
    prefs = {p.user_id: p for p in AlertPreference.objects.filter(user_id__in=recipients)}
    email_to = [
        u
        for u in User.objects.filter(pk__in=recipients).order_by("pk")
        if prefs.get(u.pk) is None or prefs[u.pk].by_email
    ]
    subject = f"ShopWatch alert: {alert.store.name}"
    site = getattr(settings, "SHOPWATCH_SITE_URL", "http://127.0.0.1:8000")
    body = f"{alert.message}\n\nOpen ShopWatch to acknowledge: {site}/alerts/{alert.pk}/\n"
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "alerts@shopwatch.invalid")
    # Each email on its own; one that fails is retried by a task (shopwatch.core.mail), never dropped.
    sent = messages_send([EmailMessage(subject, body, sender, [u.email]) for u in email_to])
    pushes = 0
    push_users = [uid for uid in recipients if prefs.get(uid) is not None and prefs[uid].by_push]
    if push_users:
        from .push import send_push

        payload = event_payload(alert)
        for sub in PushSubscription.objects.filter(user_id__in=push_users):
            pushes += int(send_push(sub, payload))
    return {"emails": sent, "pushes": pushes}

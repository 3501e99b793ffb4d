"""Email that is retried, not dropped: each message is sent on its own (one failure does not lose the rest),
and a message that fails is tried again by a task after 1, 4, 16 and 64 minutes (MAX_ATTEMPTS in all), then
given up with an error in the log. What the email tells is also on the person's ShopWatch pages."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django_tasks import default_task_backend, task

log = logging.getLogger("shopwatch.mail")

MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 60
BACKOFF_FACTOR = 4


def retry_delay(attempt: int) -> dt.timedelta:
    """How long before try number ``attempt`` (2, 3, ...): 1, 4, 16, 64 minutes."""
    return dt.timedelta(seconds=FIRST_RETRY_SECONDS * BACKOFF_FACTOR ** max(attempt - 2, 0))


def send_each(messages: list[EmailMessage]) -> list[int]:
    """Send each message on one connection; the indexes of those that failed (none lost the others)."""
    failed: list[int] = []
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        log.warning("Could not connect to send %s email(s): %s", len(messages), exc)
        return list(range(len(messages)))
    try:
        for i, message in enumerate(messages):
            message.connection = connection
            try:
                message.send()
            except Exception as exc:
                log.warning("Email to %s not sent: %s", ", ".join(message.to), exc)
                failed.append(i)
    finally:
        try:
            connection.close()
        except Exception as exc:
            log.warning("Closing the mail connection failed: %s", exc)
    return failed


def enqueue_retry(retry_task: Any, *args: Any, attempt: int) -> bool:
    """Enqueue ``retry_task(*args, attempt=attempt)`` after its delay; False (and an error logged) once
    MAX_ATTEMPTS tries have been made."""
    if attempt > MAX_ATTEMPTS:
        log.error("Gave up after %s tries: %s%r", MAX_ATTEMPTS, getattr(retry_task, "name", retry_task), args)
        return False
    if default_task_backend.supports_defer:
        retry_task = retry_task.using(run_after=timezone.now() + retry_delay(attempt))
    retry_task.enqueue(*args, attempt=attempt)
    return True


def messages_send(messages: list[EmailMessage]) -> int:
    """Send each message now; each that fails is retried later by a task. Returns how many were sent now."""
    failed = send_each(messages)
    for i in failed:
        m = messages[i]
        enqueue_retry(email_retry, str(m.subject), str(m.body), m.from_email, list(m.to), attempt=2)
    return len(messages) - len(failed)


@task()
def email_retry(subject: str, body: str, from_email: str | None, to: list[str], attempt: int) -> bool:
    """Try one email again; if it fails, enqueue the next try (up to MAX_ATTEMPTS in all)."""
    if not send_each([EmailMessage(subject, body, from_email, to)]):
        return True
    enqueue_retry(email_retry, subject, body, from_email, to, attempt=attempt + 1)
    return False

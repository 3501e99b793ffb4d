"""Background work that survives faults: a hand-off send cut short by a killed worker is on record and tried
again; one slow force endpoint does not hold up another force's hand-offs; tasks a killed worker left
"running" are run again; failed emails are retried, a bounded number of times."""

from __future__ import annotations

import http.server
import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from shopwatch.core import mail as core_mail
from shopwatch.core.taskrecovery import WorkerStopped, tasks_requeue_abandoned
from shopwatch.policing import tasks as policing_tasks
from shopwatch.policing.models import Delivery, DeliveryStatus, Notification
from shopwatch.policing.services import handoff
from tests.world import World


class Receiver:
    """A force's records system on 127.0.0.1 that answers 202, after ``delay`` seconds."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received += 1
                time.sleep(receiver.delay)
                try:
                    self.send_response(202)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers(settings: Any) -> Iterator[tuple[Receiver, Receiver]]:
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True
    settings.SHOPWATCH_HANDOFF_TIMEOUT_SECONDS = 1
    slow, quick = Receiver(delay=3.0), Receiver()
    yield slow, quick
    slow.close()
    quick.close()


def _configure(force: str, url: str) -> None:
    call_command(
        "handoff_configure", "--force", force, "--url", url, "--secret", "s" * 32, stdout=io.StringIO()
    )


def _queued(
    world: World, monkeypatch: pytest.MonkeyPatch, reporter: str, store: str, police: str
) -> Delivery:
    """A due hand-off, queued without its immediate try (as if the worker had not reached it yet)."""
    monkeypatch.setattr(handoff, "_schedule_after_commit", lambda *a, **k: None)
    incident = world.report(reporter, store, report_to_police=True)
    delivery = handoff.delivery_enqueue(viewer=world.viewer(police), incident=incident)
    monkeypatch.undo()
    assert delivery is not None
    return delivery


def test_a_send_cut_short_by_a_killed_worker_is_recorded_and_tried_again(
    world: World, receivers: tuple[Receiver, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, quick = receivers
    _configure("sussex", quick.url)
    delivery = _queued(world, monkeypatch, "reporter", "nw-brighton", "police_sussex")

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise SystemExit(-9)  # the worker dies while the request is on the wire

    monkeypatch.setattr(handoff, "_post", killed)
    with pytest.raises(SystemExit):
        handoff.delivery_attempt(delivery_id=delivery.pk)
    monkeypatch.undo()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error == handoff.INTERRUPTED
    assert delivery.next_attempt_at is not None
    assert (
        delivery.next_attempt_at > timezone.now()
    )  # leased: no second send while the first may be on the wire

    [result] = handoff.deliveries_send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (result.status, delivery.status, delivery.attempts) == ("delivered", DeliveryStatus.DELIVERED, 2)
    assert delivery.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_one_slow_force_endpoint_does_not_hold_up_another_forces_hand_offs(
    world: World, receivers: tuple[Receiver, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow, quick = receivers
    _configure("sussex", slow.url)
    _configure("thames-valley", quick.url)
    sussex = [_queued(world, monkeypatch, "reporter", "nw-brighton", "police_sussex") for _ in range(3)]
    thames = [
        _queued(world, monkeypatch, "unconnected_reporter", "oxshop-oxford", "police_tv") for _ in range(3)
    ]

    results = handoff.deliveries_send_due()

    assert all(Delivery.objects.get(pk=d.pk).status == DeliveryStatus.DELIVERED for d in thames)
    assert quick.received == 3
    attempts = [Delivery.objects.get(pk=d.pk).attempts for d in sussex]
    assert attempts == [1, 0, 0]  # the rest of Sussex's wait for the next round, not for a timeout each
    assert [r.error for r in results if r.delivery_id == sussex[0].pk] == [handoff.UNREACHABLE]

    # While Sussex's system is not answering, a new Sussex hand-off is left to the scheduled round instead of
    # holding the task worker for a timeout.
    new = _queued(world, monkeypatch, "reporter", "nw-brighton", "police_sussex")
    assert policing_tasks.deliver_handoff.call(new.pk) == "left to the scheduled round"
    assert Delivery.objects.get(pk=new.pk).attempts == 0


@pytest.mark.django_db
def test_tasks_left_running_by_a_dead_worker_are_failed_and_enqueued_again() -> None:
    def running(worker: str) -> DBTaskResult[..., Any]:
        return DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING,
            args_kwargs={"args": [7], "kwargs": {}},
            task_path="shopwatch.policing.tasks.deliver_handoff",
            backend_name="default",
            run_after=timezone.now(),
            worker_ids=[worker],
            started_at=timezone.now(),
        )

    dead, alive, elsewhere = running("host-1-0"), running("host-2-0"), running("other-host-99999999-0")
    again = tasks_requeue_abandoned(worker_ids={"host-1-0"})
    dead.refresh_from_db()
    assert dead.status == TaskResultStatus.FAILED
    assert dead.exception_class_path.endswith(WorkerStopped.__qualname__)
    [copy] = DBTaskResult.objects.filter(pk__in=again)
    assert (copy.status, copy.task_path, copy.args_kwargs) == (
        TaskResultStatus.READY,
        dead.task_path,
        dead.args_kwargs,
    )
    for row in (alive, elsewhere):
        row.refresh_from_db()
        assert row.status == TaskResultStatus.RUNNING
    # At start-up (no ids given) only workers of this host whose starting process is gone count.
    assert tasks_requeue_abandoned() == []


class FlakyBackend(EmailBackend):
    """Django's in-memory outbox, refusing the first ``failures`` messages sent."""

    failures = 0

    def send_messages(self, messages: Any) -> int:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("SMTP server down")
        return int(super().send_messages(messages))


@pytest.fixture
def flaky_mail(settings: Any) -> type[FlakyBackend]:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    return FlakyBackend


def test_a_failed_notification_email_is_retried_not_dropped(
    world: World, flaky_mail: type[FlakyBackend]
) -> None:
    incident = world.report("reporter", "nw-brighton")
    user = world.users["manager"]
    notes = [
        Notification.objects.create(
            user=user, incident=incident, subject=f"Update {i}", body="Crime number given"
        )
        for i in range(3)
    ]
    flaky_mail.failures = 2
    sent_now = policing_tasks.send_notification_emails.call([n.pk for n in notes])
    assert sent_now == 1  # one went; the two that failed were enqueued again (run at once in tests) and went
    assert len(mail.outbox) == 3
    assert all(Notification.objects.get(pk=n.pk).emailed_at is not None for n in notes)


def test_an_email_that_keeps_failing_is_tried_a_bounded_number_of_times(
    flaky_mail: type[FlakyBackend], caplog: pytest.LogCaptureFixture
) -> None:
    flaky_mail.failures = 100
    sent = core_mail.messages_send([mail.EmailMessage("Alert", "Body", None, ["manager@example.test"])])
    assert sent == 0
    assert flaky_mail.failures == 100 - core_mail.MAX_ATTEMPTS
    assert "Gave up after" in caplog.text
    flaky_mail.failures = 0

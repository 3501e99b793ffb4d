"""Tasks a killed task worker left "running".

django-tasks-db marks a task RUNNING when a worker claims it and finished when it ends; a worker killed in
between (SIGKILL, out of memory, power) leaves it RUNNING for ever, and nothing runs it again. `shopwatch
serve` gives each task worker it starts an id naming this host and its own process, and when that worker dies
(or, at start-up, when the process that started it is gone) marks each task it left running FAILED with
``WorkerStopped`` and enqueues it again. ShopWatch's tasks take ids and are safe to run twice (a hand-off
counts its attempt before sending and is claimed under a lease, so running it again never sends it twice at
once; notification emails are marked as they go).
"""

from __future__ import annotations

import logging
import os
import re
import socket

from django.db import transaction
from django.utils import timezone

log = logging.getLogger("shopwatch.tasks")

WORKER_ID_MAX = 64  # django-tasks-db's limit


class WorkerStopped(Exception):
    """The task worker running the task stopped before it finished."""


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.]", "", socket.gethostname())[:40] or "host"


def worker_id(n: int) -> str:
    """The id of the ``n``th task worker started by this process."""
    return f"{_host()}-{os.getpid()}-{n}"[:WORKER_ID_MAX]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_on_this_host(worker: str) -> bool:
    match = re.fullmatch(rf"{re.escape(_host())}-(\d+)-\d+", worker)
    return match is not None and not _alive(int(match.group(1)))


@transaction.atomic
def tasks_requeue_abandoned(*, worker_ids: set[str] | None = None) -> list[str]:
    """Mark FAILED (WorkerStopped) and enqueue again each task left RUNNING by one of ``worker_ids`` (workers
    known to have died), or, without ids, by a worker of this host whose starting process is gone. Returns
    the ids of the tasks enqueued again."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    again: list[str] = []
    for row in DBTaskResult.objects.select_for_update().filter(status=TaskResultStatus.RUNNING):
        last = str(row.worker_ids[-1]) if row.worker_ids else ""
        if not (last in worker_ids if worker_ids is not None else _dead_on_this_host(last)):
            continue
        copy = DBTaskResult.objects.create(
            args_kwargs=row.args_kwargs,
            priority=row.priority,
            task_path=row.task_path,
            queue_name=row.queue_name,
            backend_name=row.backend_name,
            run_after=now,
            exception_class_path="",
            traceback="",
        )
        row.status = TaskResultStatus.FAILED
        row.finished_at = now
        row.exception_class_path = f"{WorkerStopped.__module__}.{WorkerStopped.__qualname__}"
        row.traceback = f"Task worker {last} stopped while running this task; enqueued again as {copy.pk}."
        row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
        log.warning("Task %s (%s) left running by %s; enqueued again", row.pk, row.task_path, last)
        again.append(str(copy.pk))
    return again

"""`shopwatch serve` restarts a child that died (the task worker, the scheduler), says so in its log, keeps
serving meanwhile, and runs again the task the killed worker left "running"."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import requests
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.resilience.server import Serve
from tests.resilience.support import LIMIT, database_url, shopwatch_env


def _children(pid: int) -> dict[str, tuple[int, list[str]]]:
    """The command's child processes by kind (task worker, scheduler, web server), with their arguments."""
    out: dict[str, tuple[int, list[str]]] = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        args = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
        kind = "worker" if "db_worker" in args else "scheduler" if "scheduler" in args else "web"
        out[kind] = (int(child), args)
    return out


def _wait_for(what: str, check: Callable[[], bool], serve: Serve) -> None:
    deadline = time.monotonic() + LIMIT
    while not check():
        assert time.monotonic() < deadline, f"{what}\n{serve.output()}"
        time.sleep(0.2)


def test_serve_restarts_a_killed_task_worker_and_scheduler_and_reruns_the_abandoned_task(
    transactional_db: None, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = shopwatch_env(data_dir, database_url(), DJANGO_SETTINGS_MODULE="shopwatch.settings")
    env.pop("SHOPWATCH_TASKS_BACKEND", None)
    serve = Serve(env, tmp_path / "serve.log", "--workers", "1")
    try:
        serve.start()
        assert serve.proc is not None
        serve_pid = serve.proc.pid
        _wait_for("three children", lambda: len(_children(serve_pid)) == 3, serve)
        before = _children(serve_pid)
        worker_pid, worker_args = before["worker"]
        worker_id = worker_args[worker_args.index("--worker-id") + 1]
        # A task the worker is running when it is killed.
        abandoned = DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="shopwatch.policing.tasks.send_due_handoffs",
            backend_name="default",
            run_after=timezone.now(),
            worker_ids=[worker_id],
            started_at=timezone.now(),
        )
        os.kill(worker_pid, signal.SIGKILL)
        os.kill(before["scheduler"][0], signal.SIGKILL)

        log = serve.log
        _wait_for(
            "both restarted",
            lambda: (
                "The task worker (db_worker) stopped (exit status -9); restarting it." in log.read_text()
                and "The scheduler stopped (exit status -9); restarting it." in log.read_text()
                and "The scheduler was restarted" in log.read_text()
                and "The task worker (db_worker) was restarted" in log.read_text()
            ),
            serve,
        )
        after = _children(serve_pid)
        assert after["web"][0] == before["web"][0]  # the web server went on serving throughout
        assert after["worker"][0] != worker_pid
        assert after["scheduler"][0] != before["scheduler"][0]
        assert requests.get(serve.base + "/healthz", timeout=30).status_code == 200

        abandoned.refresh_from_db()
        assert abandoned.status == TaskResultStatus.FAILED
        assert "stopped while running this task" in abandoned.traceback
        copy = DBTaskResult.objects.filter(pk=abandoned.traceback.rstrip(".").rsplit(" ", 1)[-1])
        _wait_for(
            "the task run again by the new worker",
            lambda: copy.filter(status=TaskResultStatus.SUCCESSFUL).exists(),
            serve,
        )
    finally:
        serve.stop()

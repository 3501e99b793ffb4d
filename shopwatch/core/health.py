"""What a platform admin's health page reads: the background task queue, the last backup, storage use and the
checks ``shopwatch serve`` makes before it starts (``core.preflight``), each as it is now."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import preflight
from .models import ScheduledRun

# Written by `shopwatch backup` (core.backup.make_backup) once a backup's manifest is complete.
LAST_BACKUP_FILE = "last-backup.json"
# A backup older than this is flagged on the health page.
BACKUP_STALE_AFTER = dt.timedelta(days=2)
# The tasks listed as failures: the latest, within this window.
FAILURE_WINDOW = dt.timedelta(days=7)
# SQLite files larger than this are checked for damage at start-up only, not on every view of the page.
QUICK_CHECK_MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class TaskQueue:
    backend: str
    counted: bool  # False where the backend keeps its queue elsewhere (RQ: Redis)
    waiting: int = 0
    running: int = 0
    failed_recently: int = 0
    oldest_waiting: dt.datetime | None = None
    failures: tuple[tuple[str, dt.datetime | None], ...] = ()


@dataclass(frozen=True)
class LastBackup:
    finished_at: dt.datetime | None
    directory: str = ""
    files: int = 0
    size_bytes: int = 0

    @property
    def stale(self) -> bool:
        return self.finished_at is None or timezone.now() - self.finished_at > BACKUP_STALE_AFTER


@dataclass(frozen=True)
class Storage:
    data_dir: str
    total_bytes: int
    free_bytes: int
    database_bytes: int | None

    @property
    def used_percent(self) -> int:
        return round(100 * (self.total_bytes - self.free_bytes) / self.total_bytes) if self.total_bytes else 0


@dataclass(frozen=True)
class Check:
    name: str
    problem: str | None
    note: str = ""


def task_queue() -> TaskQueue:
    backend = str(settings.TASKS["default"]["BACKEND"])
    if backend != "django_tasks_db.DatabaseBackend":
        return TaskQueue(backend=backend.rsplit(".", 1)[-1], counted=False)
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    counts = dict(
        DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    since = timezone.now() - FAILURE_WINDOW
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__gte=since)
    oldest = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(at=Min("enqueued_at"))["at"]
    return TaskQueue(
        backend="database",
        counted=True,
        waiting=counts.get(TaskResultStatus.READY, 0),
        running=counts.get(TaskResultStatus.RUNNING, 0),
        failed_recently=failed.count(),
        oldest_waiting=oldest,
        failures=tuple(
            (path.rsplit(".", 1)[-1], at)
            for path, at in failed.order_by("-finished_at").values_list("task_path", "finished_at")[:5]
        ),
    )


def last_backup() -> LastBackup:
    path = Path(settings.DATA_DIR) / LAST_BACKUP_FILE
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return LastBackup(finished_at=None)
    finished = parse_datetime(str(record.get("finished_at", "")))
    return LastBackup(
        finished_at=finished,
        directory=str(record.get("directory", "")),
        files=int(record.get("files", 0)),
        size_bytes=int(record.get("size_bytes", 0)),
    )


def record_backup(*, directory: Path, files: int, size_bytes: int) -> None:
    """Note a finished backup in the data directory, for the health page."""
    record = {
        "finished_at": timezone.now().isoformat(),
        "directory": str(directory),
        "files": files,
        "size_bytes": size_bytes,
    }
    target = Path(settings.DATA_DIR) / LAST_BACKUP_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(target)


def storage() -> Storage:
    data_dir = Path(settings.DATA_DIR)
    usage = shutil.disk_usage(data_dir if data_dir.exists() else Path.cwd())
    db = preflight.sqlite_database()
    return Storage(
        data_dir=str(data_dir),
        total_bytes=usage.total,
        free_bytes=usage.free,
        database_bytes=db.stat().st_size if db is not None and db.exists() else None,
    )


def preflight_checks() -> list[Check]:
    """The start-up checks, run now. SQLite's quick_check reads the whole file, so past
    ``QUICK_CHECK_MAX_BYTES`` it is left to start-up (``shopwatch serve`` runs it every time)."""
    db = preflight.sqlite_database()
    checks = [Check("Data directory writable", preflight.data_dir_problem())]
    if db is not None and db.exists() and db.stat().st_size > QUICK_CHECK_MAX_BYTES:
        checks.append(Check("Database intact", None, note="checked when the server starts (large file)"))
    else:
        checks.append(Check("Database intact", preflight.database_problem()[0]))
    return checks


def scheduled_runs() -> list[ScheduledRun]:
    return list(ScheduledRun.objects.order_by("name"))


def health_context(viewer: object) -> dict[str, object]:
    return {
        "queue": task_queue(),
        "backup": last_backup(),
        "storage": storage(),
        "checks": preflight_checks(),
        "scheduled": scheduled_runs(),
    }

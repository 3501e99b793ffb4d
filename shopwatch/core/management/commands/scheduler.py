"""`shopwatch scheduler`: enqueue ShopWatch's scheduled work (see shopwatch.core.schedule) when it is due."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from shopwatch.core.models import ScheduledRun
from shopwatch.core.schedule import JOBS, enqueue_due, seconds_until_next


class Command(BaseCommand):
    help = (
        "Enqueue scheduled work (rollups, hand-offs due, upload clean-up, retention, weekly digests) on "
        "the task queue when it is due, then sleep; the task worker runs it. Safe to run on several hosts "
        "at once: each slot is enqueued once. --once enqueues what is due now and exits (for cron); --list "
        "shows the jobs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now, then exit")
        parser.add_argument("--list", action="store_true", help="List the jobs and their last runs; exit")
        parser.add_argument(
            "--max-sleep",
            type=float,
            default=30.0,
            help="Longest sleep between checks in seconds (default 30)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            self.list_jobs()
            return
        if options["once"]:
            self.tick()
            return
        max_sleep = options["max_sleep"]
        if not 0.1 <= max_sleep <= 3600:
            raise CommandError("--max-sleep must be between 0.1 and 3600 seconds.")
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, on_signal)
        self.stdout.write(f"Scheduler started: {len(JOBS)} jobs. Ctrl-C stops it.")
        try:
            while not stop.is_set():
                self.tick()
                close_old_connections()
                # Wake just after the next slot begins (small margin so the slot has surely started).
                stop.wait(min(max_sleep, seconds_until_next(now=timezone.now()) + 0.05))
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("Scheduler stopped.")

    def tick(self) -> None:
        for done in enqueue_due():
            self.stdout.write(
                f"{timezone.now():%Y-%m-%d %H:%M:%S%z} enqueued {done.name} "
                f"(slot {done.slot_at:%Y-%m-%d %H:%M %Z}, task result {done.result_id})"
            )

    def list_jobs(self) -> None:
        rows = {r.name: r for r in ScheduledRun.objects.all()}
        for job in JOBS:
            row = rows.get(job.name)
            last = (
                f"last enqueued {timezone.localtime(row.last_enqueued_at):%Y-%m-%d %H:%M}"
                if row and row.last_enqueued_at
                else "not run yet"
            )
            self.stdout.write(f"{job.name:<36} {job.describe():<22} {last}")

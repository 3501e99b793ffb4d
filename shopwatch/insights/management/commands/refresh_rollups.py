from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shopwatch.insights.rollups import rollup_refresh


class Command(BaseCommand):
    help = "Bring the dashboard rollups up to date; --full rebuilds them from every incident."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Rebuild from scratch")
        parser.add_argument("--every", type=int, default=0, help="Keep running, refreshing every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            started = time.perf_counter()
            result = rollup_refresh(full=options["full"])
            self.stdout.write(
                f"Rollups refreshed{' (full rebuild)' if result.full else ''}: {result.stores} stores, "
                f"{result.buckets} day buckets, {time.perf_counter() - started:.2f}s"
            )
            if not options["every"]:
                return
            options["full"] = False
            time.sleep(options["every"])

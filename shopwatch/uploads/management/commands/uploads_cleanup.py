"""`shopwatch uploads cleanup`: delete the partial files of abandoned resumable uploads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.uploads.services.cleanup import uploads_cleanup


class Command(BaseCommand):
    help = (
        "Delete partial files of uploads that have received no bytes for SHOPWATCH_UPLOAD_ABANDON_HOURS "
        "(or --hours), and stray partial files with no upload. Run it from cron, e.g. hourly; upload "
        "traffic also enqueues it as a background task at most once an hour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, help="Abandoned after this many hours without bytes")

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options.get("hours")
        if hours is not None and hours < 0:
            raise CommandError("--hours must be zero or more.")
        report = uploads_cleanup(older_than=dt.timedelta(hours=hours) if hours is not None else None)
        self.stdout.write(
            f"Abandoned uploads cleaned up: {report.expired}; stray partial files: {report.stray_files}; "
            f"bytes freed: {report.bytes_freed:,}"
        )

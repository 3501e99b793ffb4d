"""`shopwatch restore DIR [--force]`: a backup made by `shopwatch backup` into the data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `shopwatch backup` into the configured data directory (SHOPWATCH_DATA_DIR) "
        "and database (DATABASE_URL, or SQLite in the data directory), after checking every file's SHA-256. "
        "Refuses a data directory or database that already holds data unless --force (which replaces the "
        "database and the stored files). Stop the server first."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="A directory written by `shopwatch backup`")
        parser.add_argument(
            "--force", action="store_true", help="Replace the database and stored files already there"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore_backup(
                Path(options["directory"]), force=options["force"], progress=self.stderr.write
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored the {report.database} database and {report.files:,} files "
            f"({report.bytes / 1e6:,.1f} MB) from {report.directory}; every SHA-256 matched."
        )

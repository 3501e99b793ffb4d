"""`shopwatch backup DIR`: a consistent backup of the database and the stored files, while the server runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.core.backup import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database (SQLite's online backup, or pg_dump on PostgreSQL) and of "
        "the data directory's stored files, each with its SHA-256 in manifest.json, into the new directory "
        "DIR. Safe while the server runs. Restore it with `shopwatch restore DIR` (docs/operations.md)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="A new (or empty) directory outside the data directory")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = make_backup(Path(options["directory"]), progress=self.stderr.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for note in report.notes:
            self.stderr.write(f"Note: {note}")
        self.stdout.write(
            f"Backed up the {report.database} database and {report.files:,} files "
            f"({report.bytes / 1e6:,.1f} MB) to {report.directory}"
        )

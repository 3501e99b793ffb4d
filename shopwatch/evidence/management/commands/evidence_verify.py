"""`shopwatch evidence verify`: re-hash every stored original and check every chain of custody."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.evidence.verify import evidence_verify


class Command(BaseCommand):
    help = (
        "Re-hash every stored evidence file (streaming) against the SHA-256 taken when it arrived, and check "
        "every chain of custody for altered, missing or inserted entries. Exits 0 when all is well, 1 naming "
        "each problem otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="EVIDENCE_ID", help="Only these files")

    def handle(self, *args: Any, **options: Any) -> None:
        report = evidence_verify(evidence_ids=options["ids"] or None)
        for problem in report.problems:
            self.stderr.write(f"PROBLEM {problem}")
        summary = (
            f"{report.files_checked} files re-hashed ({report.bytes_hashed:,} bytes), "
            f"{report.entries_checked} custody entries checked, {len(report.problems)} problems."
        )
        if report.problems:
            raise CommandError(summary, returncode=1)
        self.stdout.write(f"OK: {summary}")

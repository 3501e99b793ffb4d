"""`shopwatch import incidents FILE.csv --org SLUG`: a retailer's historical back-file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.core.entitlements import viewer_for
from shopwatch.core.models import Organisation, User
from shopwatch.reporting.imports import (
    ALL_COLUMNS,
    REQUIRED_COLUMNS,
    import_viewer,
    incidents_import_csv,
    write_error_report,
)

MAX_PRINTED_ERRORS = 50

HELP = f"""Import a retailer's historical incidents from a CSV file (UTF-8, comma-separated, header row).

Required columns: {", ".join(REQUIRED_COLUMNS)}.
  store                 the store's ShopWatch id or the retailer's own store code
  type                  theft, violence, threats_abuse, antisocial_behaviour, criminal_damage, robbery,
                        burglary, fraud or other
  occurred_at           2025-03-01T14:30:00Z, 2025-03-01 14:30 or 01/03/2025 14:30 (no offset = UK time)
  description           what happened (at most 10,000 characters)
Optional columns: {", ".join(c for c in ALL_COLUMNS if c not in REQUIRED_COLUMNS)}.
  goods_value           total value in pounds, e.g. 12.50
  flags                 semicolon-separated, from: violence, weapon, staff_injured,
                        offender_detained, hate, offender_nearby
  report_to_police      true or false
  vehicle_registration  a UK registration mark (several separated by semicolons)
  offender_description  what the offender looked like
  external_ref          your own incident id; re-importing a row with the same id creates nothing

Each row is checked exactly as the API checks a report, and saved on its own: bad rows are listed (row,
field, message) and written to FILE.errors.csv next to the file; good rows are imported. Importing the
same file again creates nothing new. See docs/csv-import.md."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument(
            "--org", required=True, metavar="SLUG", help="The retailer the incidents belong to"
        )
        parser.add_argument(
            "--user",
            metavar="EMAIL",
            help="Record this person as the importer (they must be able to report for the stores)",
        )
        parser.add_argument("--encoding", default="utf-8", help="The file's text encoding (default utf-8)")
        parser.add_argument(
            "--ignore-unknown-columns",
            action="store_true",
            help="Skip columns this importer does not know instead of refusing the file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug '{options['org']}'.")
        base = None
        if options["user"]:
            user = User.objects.filter(email__iexact=options["user"].strip(), is_active=True).first()
            if user is None:
                raise CommandError(f"No active user with email {options['user']}.")
            base = viewer_for(user)
        path = Path(options["file"])
        report = incidents_import_csv(
            viewer=import_viewer(org, base=base),
            organisation=org,
            path=path,
            encoding=options["encoding"],
            ignore_unknown_columns=options["ignore_unknown_columns"],
        )
        for e in report.errors[:MAX_PRINTED_ERRORS]:
            where = f"Row {e.row}" if e.row else "File"
            self.stderr.write(f"{where}, {e.field}: {e.message}")
        if len(report.errors) > MAX_PRINTED_ERRORS:
            self.stderr.write(f"... and {len(report.errors) - MAX_PRINTED_ERRORS} more.")
        try:
            written = write_error_report(report)
        except OSError as exc:
            written = None
            self.stderr.write(f"Could not write the error report next to the file: {exc}")
        if report.file_error:
            raise CommandError(
                f"{path.name} was not imported." + (f" Errors written to {written}." if written else "")
            )
        self.stdout.write(
            f"{path.name}: {report.rows} rows: {len(report.created)} imported, {len(report.skipped)} already "
            f"imported, {report.failed_rows} refused."
        )
        if written:
            raise CommandError(f"{report.failed_rows} row(s) refused; errors written to {written}.")

"""`shopwatch import police-uk PATH...`: import data.police.uk street-level and outcomes files."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer, viewer_for
from shopwatch.core.models import Channel, User
from shopwatch.opendata.services import FileStatus, police_uk_import


class Command(BaseCommand):
    help = (
        "Import data.police.uk files (YYYY-MM-<force>-street.csv, ...-street-shoplifting-only.csv, "
        "...-outcomes.csv). PATH may be files or directories (searched recursively). Each file is imported "
        "in one transaction; the same content twice is skipped; a corrected file for the same force, month "
        "and kind replaces the earlier one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--actor", help="Email of the platform admin to record as the importer")
        parser.add_argument("--json", action="store_true", help="Print one JSON report per file instead")

    def handle(self, *args: Any, **options: Any) -> None:
        viewer = Viewer(user_id=None, channel=Channel.CLI)
        if options["actor"]:
            user = User.objects.filter(email__iexact=options["actor"]).first()
            if user is None:
                raise CommandError(f"No user with email {options['actor']}.")
            viewer = viewer_for(user, channel=Channel.CLI)
            if not can(viewer, Action.IMPORT_OPEN_DATA):
                raise CommandError(f"{user.email} is not a platform admin.")
        reports = police_uk_import(viewer=viewer, paths=options["paths"])
        for report in reports:
            if options["json"]:
                self.stdout.write(json.dumps(report.as_dict()))
            else:
                for line in report.summary():
                    self.stdout.write(line)
        counts = {s: sum(1 for r in reports if r.status == s) for s in FileStatus}
        rows = sum(r.rows for r in reports if r.status in (FileStatus.IMPORTED, FileStatus.REPLACED))
        if not options["json"]:
            self.stdout.write(
                f"{len(reports)} files: {counts[FileStatus.IMPORTED]} imported, "
                f"{counts[FileStatus.REPLACED]} replaced, {counts[FileStatus.SKIPPED]} skipped, "
                f"{counts[FileStatus.FAILED]} failed; {rows:,} rows stored."
            )
        if not reports:
            raise CommandError("No .csv files found under the paths given.")
        if counts[FileStatus.FAILED]:
            raise CommandError(f"{counts[FileStatus.FAILED]} file(s) could not be imported; see above.")

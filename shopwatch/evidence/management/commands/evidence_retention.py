"""`shopwatch evidence retention`: preview (default) or apply deletion under partnerships' periods."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.core.models import Organisation, OrganisationKind
from shopwatch.evidence.retention import SYSTEM, retention_apply, retention_preview


class Command(BaseCommand):
    help = (
        "List the evidence files due for deletion under each partnership's retention periods (the longest "
        "applicable period wins; nothing goes while police have the case open). With --apply, delete them: "
        "the bytes go, the record stays as a tombstone with its chain of custody. "
        "Run daily from cron with --apply."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnership", action="append", help="Partnership slug (default: all)")
        parser.add_argument(
            "--apply", action="store_true", help="Delete what is due (otherwise only list it)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slugs = options["partnership"] or list(
            Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP)
            .order_by("slug")
            .values_list("slug", flat=True)
        )
        total = 0
        for slug in slugs:
            if not Organisation.objects.filter(slug=slug, kind=OrganisationKind.PARTNERSHIP).exists():
                raise CommandError(f"No partnership '{slug}'.")
            run = retention_apply if options["apply"] else retention_preview
            for d in run(viewer=SYSTEM, partnership=slug):
                total += 1
                self.stdout.write(
                    f"{'DELETED' if options['apply'] else 'DUE'} evidence {d.evidence.pk} "
                    f"({d.evidence.incident.reference}, {d.evidence.original_filename}): {d.category}, "
                    f"{d.days} days, due {d.due_at:%Y-%m-%d}"
                )
        self.stdout.write(f"{total} files {'deleted' if options['apply'] else 'due for deletion'}.")

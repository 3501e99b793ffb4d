"""`shopwatch handoff send-due`: send every pending hand-off whose next try is due. Run it every minute."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shopwatch.policing.services.handoff import deliveries_send_due


class Command(BaseCommand):
    help = "Send pending hand-offs that are due (retries with back-off; dead-letters after the retry window)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=float, default=0, help="Keep running, checking every N seconds (0: once and exit)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            results = deliveries_send_due()
            counts = Counter(r.status for r in results if r.attempted)
            if results or not options["loop"]:
                self.stdout.write(
                    f"{len(results)} due: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
                )
            if not options["loop"]:
                return
            time.sleep(options["loop"])

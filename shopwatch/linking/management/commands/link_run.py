"""``shopwatch link run``: run linking over the whole database now (the nightly job does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import Channel


class Command(BaseCommand):
    help = (
        "Train the linkage model on every person record, score all pairs and store proposals at or above 0.5."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from shopwatch.linking.services import link_run

        result = link_run(actor=Viewer(user_id=None, channel=Channel.CLI))
        self.stdout.write(
            f"Linked {result.persons} persons with model "
            f"{result.model_version or '(none: too few records)'}: "
            f"{result.pairs} pairs scored, {result.proposals_new} new proposals, "
            f"{result.proposals_updated} rescored, {result.proposals_withdrawn} withdrawn."
        )

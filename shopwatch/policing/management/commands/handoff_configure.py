"""`shopwatch handoff configure --force SLUG --url URL --secret SECRET`"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.core.errors import ServiceError
from shopwatch.core.models import Channel, Organisation
from shopwatch.policing.services.common import system_viewer
from shopwatch.policing.services.handoff import endpoint_configure


class Command(BaseCommand):
    help = "Set a police force's hand-off endpoint and shared secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", required=True, help="The force's slug, e.g. sussex")
        parser.add_argument("--url", required=True, help="The https:// address that receives hand-offs")
        parser.add_argument("--secret", required=True, help="The shared secret (at least 16 characters)")

    def handle(self, *args: Any, **options: Any) -> None:
        force = Organisation.objects.filter(slug=options["force"]).first()
        if force is None:
            raise CommandError(f"No organisation with slug '{options['force']}'.")
        try:
            endpoint = endpoint_configure(
                viewer=system_viewer(force_id=force.pk, channel=Channel.CLI),
                force=force,
                url=options["url"],
                secret=options["secret"],
                check_role=False,
            )
        except ServiceError as exc:
            raise CommandError("; ".join(f"{e.field}: {e.message}" for e in exc.errors)) from exc
        self.stdout.write(f"Hand-offs for {force.name} go to {endpoint.url}.")

"""`shopwatch apikey create --user EMAIL --name NAME`: a new API key, printed once as the last line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import ServiceError
from shopwatch.core.models import Channel, User


class Command(BaseCommand):
    help = (
        "Create an API key for a user; the key acts with that user's entitlements. The key is printed once, "
        "as the last line of output; only its hash is kept. The audit trail records it with channel 'cli'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, metavar="EMAIL", help="The key's user")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'Till system'")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["user"].strip()).first()
        if user is None:
            raise CommandError(f"No user with email {options['user']}.")
        if not user.is_active:
            raise CommandError(f"{user.email} is deactivated; a key for it would not work.")
        system = Viewer(user_id=None, channel=Channel.CLI)
        try:
            new = apikey_create(viewer=system, user=user, name=options["name"])
        except ServiceError as exc:
            raise CommandError("; ".join(f"--{e.field}: {e.message}" for e in exc.errors)) from exc
        self.stdout.write(
            f"Created API key '{new.api_key.name}' for {user.email} (prefix {new.api_key.prefix})."
        )
        self.stdout.write(
            "Keep it safe: it is shown only this once. Send it as 'Authorization: Bearer <key>'."
        )
        self.stdout.write(new.secret)

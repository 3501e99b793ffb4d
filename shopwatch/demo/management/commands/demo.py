"""`shopwatch demo`: everything a first look needs, on one command."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from shopwatch.core.management.commands._serving import collect_static_if_needed, port_free, serve
from shopwatch.core.models import TWO_FACTOR_ROLES, User
from shopwatch.demo.places import NAMED_ACCOUNTS
from shopwatch.demo.seed import SeedOptions, SeedRefused, database_is_empty, seed_demo
from shopwatch.demo.world import DEMO_PASSWORD, DEMO_TOTP_KEY_BASE32, demo_email

HOST = "127.0.0.1"


class Command(BaseCommand):
    help = (
        "Run a local demo on http://127.0.0.1:PORT/: apply migrations, collect static files if needed, seed "
        "the demo data if the database is empty, print the demo accounts, then serve (web server and task "
        "worker). Ctrl-C stops it. Data lives in SHOPWATCH_DATA_DIR (default ./var)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Port (default 8000)")
        parser.add_argument(
            "--incidents", type=int, default=5000, help="Incidents to seed into an empty database"
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed for the demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        if not port_free(HOST, port):
            raise CommandError(f"Port {port} is in use; try `shopwatch demo --port {port + 1}`.")
        write = self.stdout.write
        write("Applying migrations...")
        call_command("migrate", interactive=False, verbosity=0)
        collect_static_if_needed(write)
        if database_is_empty():
            write(f"Seeding demo data ({options['incidents']:,} incidents)...")
            began = time.monotonic()
            try:
                result = seed_demo(
                    SeedOptions(incidents=options["incidents"], seed=options["seed"]), progress=write
                )
            except SeedRefused as exc:
                raise CommandError(str(exc)) from exc
            write(f"Seeded {result.incidents:,} incidents in {time.monotonic() - began:.0f}s.")
        else:
            write("The database already holds data; not seeding.")
        self.print_accounts(port)
        connection.close()
        code = serve(host=HOST, port=port, workers=1, threads=8, write=write)
        if code:
            raise CommandError(f"Stopped with exit status {code}.", returncode=code)

    def print_accounts(self, port: int) -> None:
        write = self.stdout.write
        existing = set(
            User.objects.filter(email__in=[demo_email(a.email_local) for a in NAMED_ACCOUNTS]).values_list(
                "email", flat=True
            )
        )
        write("")
        write(f"ShopWatch demo: http://{HOST}:{port}/")
        if existing:
            write(f"Demo accounts (password '{DEMO_PASSWORD}'); `shopwatch accounts` lists them all:")
            for a in NAMED_ACCOUNTS:
                email = demo_email(a.email_local)
                if email not in existing:
                    continue
                two_factor = (
                    "  (two-factor: `shopwatch totp " + email + "`)" if a.role in TWO_FACTOR_ROLES else ""
                )
                write(f"  {email:<42} {a.role}{two_factor}")
            write(f"Two-factor demo key for an authenticator app: {DEMO_TOTP_KEY_BASE32}")
        write("Press Ctrl-C to stop.")
        write("")

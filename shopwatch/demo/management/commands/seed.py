"""`shopwatch seed`: fill an empty database with the deterministic demo world."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.demo.seed import SeedOptions, SeedRefused, seed_demo
from shopwatch.demo.world import DEMO_PASSWORD, DEMO_TOTP_KEY_BASE32


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--until must be a date like 2026-01-31, not '{value}'.") from exc


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo data: two police force areas (sussex, thames-valley), three "
        "partnerships, 46 stores, an account for every role (password '" + DEMO_PASSWORD + "'), persons and "
        "incidents. The same --seed always gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, default=5000, help="How many incidents (default 5000)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument("--months", type=int, default=12, help="Months of history (default 12)")
        parser.add_argument(
            "--until",
            type=_date,
            default=None,
            help="Incidents end before this date (YYYY-MM-DD; default today)",
        )
        parser.add_argument("--batch-size", type=int, default=2000, help="Incidents written per batch")

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.monotonic()
        try:
            result = seed_demo(
                SeedOptions(
                    incidents=options["incidents"],
                    seed=options["seed"],
                    months=options["months"],
                    until=options["until"],
                    batch_size=options["batch_size"],
                ),
                progress=lambda msg: self.stdout.write(msg) if options["verbosity"] >= 1 else None,
            )
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Seeded {result.organisations} organisations, {result.stores} stores, {result.users} accounts, "
            f"{result.persons} persons and {result.incidents:,} incidents from "
            f"{result.start:%Y-%m-%d} to {result.end:%Y-%m-%d} in {time.monotonic() - began:.1f}s."
        )
        self.stdout.write(
            f"Demo accounts: `shopwatch accounts`; password '{DEMO_PASSWORD}'; two-factor key "
            f"{DEMO_TOTP_KEY_BASE32} (or `shopwatch totp EMAIL`)."
        )

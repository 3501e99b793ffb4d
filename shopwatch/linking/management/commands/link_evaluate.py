"""``shopwatch link evaluate INPUT.csv --out PAIRS.csv``: the app's linking settings on a CSV of people.

Trains without labels on the file itself (exactly as ``link run`` trains on the database) and writes every
scored pair: ``record_id_l, record_id_r, match_probability``. A pair at or above 0.5 is a proposed link.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Link a CSV of person records (record_id, first_name, surname, date_of_birth, postcode, town, "
        "source) "
        "and write the scored pairs (record_id_l, record_id_r, match_probability) to --out."
    )

    # A file in, a file out: no database or URL configuration is involved, so no system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path, help="CSV of person records")
        parser.add_argument("--out", type=Path, required=True, help="where to write the scored pairs (CSV)")
        parser.add_argument("--model-out", type=Path, help="also save the trained model (JSON) here")

    def handle(self, *args: Any, **options: Any) -> None:
        from shopwatch.linking.engine import PROPOSAL_THRESHOLD
        from shopwatch.linking.engine.evaluate import InputError, evaluate_file

        source: Path = options["input"]
        out: Path = options["out"]
        if not source.is_file():
            raise CommandError(f"{source}: no such file.")
        if out.parent and not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such folder for --out.")
        started = time.perf_counter()
        try:
            model, written = evaluate_file(source, out)
        except InputError as exc:
            raise CommandError(str(exc)) from exc
        if options.get("model_out"):
            options["model_out"].write_text(model.to_json(), encoding="utf-8")
        self.stdout.write(
            f"{model.record_count} records, model {model.version}: {written.pairs} pairs scored, "
            f"{written.proposals} at or above {PROPOSAL_THRESHOLD} written to {out} "
            f"in {time.perf_counter() - started:.1f} s."
        )

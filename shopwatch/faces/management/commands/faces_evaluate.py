"""`shopwatch faces evaluate PAIRS.csv --images DIR --out OUT.csv`: the app's comparison of image pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.faces import engine
from shopwatch.faces.evaluation import (
    PairsFileError,
    default_workers,
    evaluate_pairs,
    read_pairs,
    write_results,
)


class Command(BaseCommand):
    help = (
        "Compare each pair of image files named in PAIRS.csv (columns file_x, file_y; other columns ignored; "
        "names relative to --images) with the app's own detector, model and threshold, and write OUT.csv with"
        " file_x, file_y, similarity (1 - distance between the largest faces) and same_person (true/false; "
        "blank when a face was not found in either image). One row per input pair, in order."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pairs", metavar="PAIRS.csv")
        parser.add_argument("--images", required=True, metavar="DIR", help="The folder the file names are in")
        parser.add_argument("--out", required=True, metavar="OUT.csv", help="Where to write the results")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="Processes encoding images in parallel (default: the CPUs this process may use)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        pairs_path, images, out = Path(options["pairs"]), Path(options["images"]), Path(options["out"])
        if not pairs_path.is_file():
            raise CommandError(f"{pairs_path}: no such file")
        if not images.is_dir():
            raise CommandError(f"{images}: no such folder")
        try:
            with pairs_path.open(newline="", encoding="utf-8-sig") as source:
                pairs = list(read_pairs(source))
        except (PairsFileError, UnicodeDecodeError) as exc:
            raise CommandError(f"{pairs_path}: {exc}") from exc
        results = list(evaluate_pairs(pairs, images=images, workers=max(1, options["workers"])))
        with out.open("w", newline="", encoding="utf-8") as target:
            count = write_results(results, target)
        matched = sum(1 for r in results if r.same_person)
        blank = sum(1 for r in results if r.similarity is None)
        self.stdout.write(
            f"{count} pairs compared at threshold {engine.MATCH_THRESHOLD:.2f}: {matched} same person, "
            f"{blank} without a face in one image; written to {out}"
        )

"""`shopwatch map_outlines PATH... [--out FILE]`: build the maps' force and district outlines from
data.police.uk street-level files (``insights.outlines``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopwatch.insights.outlines import OUTLINES_PATH, build_outlines, street_files


class Command(BaseCommand):
    help = (
        "Build simplified force and district outlines (convex hulls, coordinates rounded to about 100 m) "
        "from data.police.uk street-level files or folders of them, as the GeoJSON the dashboards' maps draw "
        "under their hotspots (default: the app's own insights/outlines.geojson)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--out", default=str(OUTLINES_PATH), help="Where to write the GeoJSON")

    def handle(self, *args: Any, **options: Any) -> None:
        files = street_files(options["paths"])
        if not files:
            raise CommandError("No data.police.uk street-level files (*-street*.csv) under the given paths.")
        collection = build_outlines(files)
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(collection, separators=(",", ":"), ensure_ascii=False) + "\n")
        kinds = [f["properties"]["kind"] for f in collection["features"]]
        self.stdout.write(
            f"{kinds.count('force')} force and {kinds.count('district')} district outlines from "
            f"{len(files)} files written to {out}"
        )

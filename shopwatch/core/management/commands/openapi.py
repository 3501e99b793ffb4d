"""`shopwatch openapi [--check PATH]`: print the API's OpenAPI document, or check a committed copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

MAX_DIFFERENCES = 20


def openapi_text() -> str:
    """The document exactly as committed: sorted keys, two-space indent, trailing newline."""
    api = import_string(settings.SHOPWATCH_API)
    return json.dumps(api.get_openapi_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def differences(old: Any, new: Any, path: str = "$") -> list[str]:
    """Where two JSON documents differ, as JSON paths with what changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            where = f"{path}.{key}" if key.replace("_", "").isalnum() else f"{path}[{json.dumps(key)}]"
            if key not in new:
                out.append(f"{where}: removed")
            elif key not in old:
                out.append(f"{where}: added")
            else:
                out += differences(old[key], new[key], where)
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            if i >= len(new):
                out.append(f"{path}[{i}]: removed")
            elif i >= len(old):
                out.append(f"{path}[{i}]: added")
            else:
                out += differences(old[i], new[i], f"{path}[{i}]")
        return out
    if old != new:
        return [f"{path}: {json.dumps(old)[:80]} → {json.dumps(new)[:80]}"]
    return []


class Command(BaseCommand):
    help = (
        "Print the API's OpenAPI document as JSON (sorted keys, indent 2). With --check PATH, compare it "
        "with the file at PATH and exit with an error naming each difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", metavar="PATH", help="Compare with this committed file instead of printing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        current = openapi_text()
        if not options["check"]:
            self.stdout.write(current, ending="")
            return
        path = Path(options["check"])
        try:
            committed = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"{path} does not exist. Write it with `shopwatch openapi > {path}`.") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        if committed == current:
            self.stdout.write(f"{path} matches the API.")
            return
        try:
            diffs = differences(json.loads(committed), json.loads(current))
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{path} is not valid JSON ({exc}); regenerate it with `shopwatch openapi`."
            ) from exc
        if not diffs:
            diffs = ["formatting only (keys, indentation or final newline)"]
        shown = "\n  ".join(diffs[:MAX_DIFFERENCES])
        more = f"\n  ... and {len(diffs) - MAX_DIFFERENCES} more" if len(diffs) > MAX_DIFFERENCES else ""
        raise CommandError(
            f"{path} differs from the API ({len(diffs)} difference(s), committed → current):\n"
            f"  {shown}{more}\n"
            f"If the change is intended, regenerate it: shopwatch openapi > {path}"
        )

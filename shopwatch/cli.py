"""The ``shopwatch`` command: a thin wrapper over Django's management commands."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopwatch.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[1:]
    # `shopwatch import incidents F` and `shopwatch apikey create` read naturally; map them to commands.
    grouped = ("import", "apikey", "evidence", "handoff", "uploads", "link", "faces")
    if len(argv) >= 2 and argv[0] in grouped and not argv[1].startswith("-"):
        argv = [f"{argv[0]}_{argv[1]}".replace("-", "_"), *argv[2:]]
    execute_from_command_line(["shopwatch", *argv])


if __name__ == "__main__":
    main()

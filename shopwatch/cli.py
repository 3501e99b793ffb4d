"""The ``shopwatch`` command: a thin wrapper over Django's management commands."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopwatch.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings: a read-only data directory is said plainly
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"shopwatch: {exc}\n")
        sys.exit(2)

    argv = sys.argv[1:]
    # `shopwatch import incidents F` and `shopwatch apikey create` read naturally; map them to commands.
    grouped = ("import", "apikey", "evidence", "handoff", "uploads", "link", "faces")
    if len(argv) >= 2 and argv[0] in grouped and not argv[1].startswith("-"):
        argv = [f"{argv[0]}_{argv[1]}".replace("-", "_"), *argv[2:]]
    if argv[:1] == ["demo"]:
        # Before the demo migrates or seeds anything (`shopwatch serve` makes the same check itself).
        import django

        from shopwatch.core.preflight import startup_problem

        django.setup()
        problem = startup_problem()
        if problem is not None:
            sys.stderr.write(f"shopwatch: {problem}\n")
            sys.exit(1)
    execute_from_command_line(["shopwatch", *argv])


if __name__ == "__main__":
    main()

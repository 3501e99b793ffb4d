"""`shopwatch serve`: production-style serving (gunicorn, gthread workers) plus the task worker."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ._serving import port_free, serve


class Command(BaseCommand):
    help = (
        "Serve ShopWatch with gunicorn (gthread workers, shopwatch.wsgi:application; static files from "
        "whitenoise) and run django-tasks-db's worker alongside, so the embedded set-up needs nothing else. "
        "Ctrl-C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="Port (default 8000)")
        parser.add_argument("--workers", type=int, default=2, help="Gunicorn worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="Threads per worker (default 4)")
        parser.add_argument("--no-task-worker", action="store_true", help="Do not start the task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("workers", "threads"):
            if not 1 <= options[name] <= 64:
                raise CommandError(f"--{name} must be between 1 and 64.")
        if not 1 <= options["port"] <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        if not port_free(options["host"], options["port"]):
            raise CommandError(
                f"{options['host']}:{options['port']} is in use (or not ours); choose another --port."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write("Warning: the database has unapplied migrations; run `shopwatch migrate`.")
        connection.close()
        code = serve(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
            write=self.stdout.write,
            worker=not options["no_task_worker"],
        )
        if code:
            raise CommandError(f"Stopped with exit status {code}.", returncode=code)

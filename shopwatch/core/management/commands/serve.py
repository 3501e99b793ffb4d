"""`shopwatch serve`: production-style serving (uvicorn on the ASGI application) plus the task worker and
the scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shopwatch.core.preflight import startup_problem

from ._serving import SERVERS, port_free, serve


class Command(BaseCommand):
    help = (
        "Serve ShopWatch with uvicorn on the ASGI application (shopwatch.core.asgi; static files from "
        "whitenoise; thousands of open live-alert streams cost no threads), and run django-tasks-db's worker "
        "and the scheduler alongside, so the embedded set-up needs nothing else. --server gunicorn serves "
        "with gunicorn's gthread workers instead (each open alert stream then holds a thread). Ctrl-C "
        "stops all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="Port (default 8000)")
        parser.add_argument(
            "--server",
            choices=SERVERS,
            default="uvicorn",
            help="uvicorn (ASGI, the default) or gunicorn (WSGI, gthread workers)",
        )
        parser.add_argument("--workers", type=int, default=2, help="Web server worker processes (default 2)")
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Request threads per worker process (default: 4 under uvicorn, 8 under gunicorn)",
        )
        parser.add_argument("--no-task-worker", action="store_true", help="Do not start the task worker")
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not start the scheduler (run `shopwatch scheduler` elsewhere, once)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("workers", "threads"):
            if options[name] is not None and not 1 <= options[name] <= 64:
                raise CommandError(f"--{name} must be between 1 and 64.")
        if not 1 <= options["port"] <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        problem = startup_problem()
        if problem is not None:
            raise CommandError(problem)
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
            scheduler=not options["no_scheduler"],
            server=options["server"],
        )
        if code:
            raise CommandError(f"Stopped with exit status {code}.", returncode=code)

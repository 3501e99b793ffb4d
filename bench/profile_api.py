"""Where the server spends its time on POST /api/v1/incidents: cProfile over N requests, in one process.

    uv run python bench/profile_api.py [N] [--batch]
    DATABASE_URL=postgres://... uv run python bench/profile_api.py 300
    uv run python bench/profile_api.py 300 --handlers     # CPU per POST through each request handler

--handlers compares, in this one process and without an HTTP server, the CPU time of a POST through Django's
WSGI handler, Django's own ASGI handler and ShopWatch's (shopwatch.core.asgi: one hop to a thread pool), in
alternating rounds, and prints the median of each.

Requests go through Django's full stack (middleware, authentication, validation, services, audit) with the
test client, so no HTTP server or load generator shares the CPU. A fresh data directory (and, with
DATABASE_URL, a new database that is dropped afterwards) holds the seeded world. Prints the mean time per
request, the queries per request and the 25 functions with the most cumulative time.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_create import incident_body  # noqa: E402


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "300"))
    batch = "--batch" in sys.argv
    os.environ["SHOPWATCH_DATA_DIR"] = tempfile.mkdtemp(prefix="shopwatch-profile-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopwatch.settings"
    os.environ["SHOPWATCH_API_RATE_LIMIT"] = "1000000"
    url = os.environ.get("DATABASE_URL")
    db_name = None
    if url:
        import psycopg

        db_name = f"shopwatch_profile_{secrets.token_hex(4)}"
        admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{db_name}"))
    try:
        run(n, batch)
    finally:
        if db_name and url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def compare_handlers(n: int, path: str, key: str, body: Any, rounds: int = 5) -> None:
    """CPU per request through each handler, alternating rounds of n requests (median printed)."""
    import asyncio
    import statistics

    from django.core.handlers.asgi import ASGIHandler
    from django.core.handlers.wsgi import WSGIHandler

    from shopwatch.core.asgi import StreamingASGIHandler

    counter = iter(range(2 * 10**7, 3 * 10**7))

    def asgi_call(app: Any) -> Any:
        async def one() -> None:
            data = body(next(counter)).encode()
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "root_path": "",
                "server": ("127.0.0.1", 8000),
                "client": ("127.0.0.1", 5000),
                "headers": [
                    (b"host", b"127.0.0.1:8000"),
                    (b"authorization", f"Bearer {key}".encode()),
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
            sent: list[Any] = []
            finished = asyncio.Event()
            messages = [{"type": "http.request", "body": data, "more_body": False}]

            async def receive() -> Any:
                if messages:
                    return messages.pop()
                await finished.wait()
                return {"type": "http.disconnect"}

            async def send(message: Any) -> None:
                sent.append(message)
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    finished.set()

            await app(scope, receive, send)
            assert sent[0]["status"] in (200, 201), sent

        async def many(count: int) -> None:
            for _ in range(count):
                await one()

        return lambda count: asyncio.run(many(count))

    def wsgi_call(app: Any) -> Any:
        def many(count: int) -> None:
            for _ in range(count):
                data = body(next(counter)).encode()
                environ = {
                    "REQUEST_METHOD": "POST",
                    "PATH_INFO": path,
                    "QUERY_STRING": "",
                    "SERVER_NAME": "127.0.0.1",
                    "SERVER_PORT": "8000",
                    "REMOTE_ADDR": "127.0.0.1",
                    "HTTP_HOST": "127.0.0.1:8000",
                    "HTTP_AUTHORIZATION": f"Bearer {key}",
                    "CONTENT_TYPE": "application/json",
                    "CONTENT_LENGTH": str(len(data)),
                    "wsgi.input": io.BytesIO(data),
                    "wsgi.url_scheme": "http",
                }
                status: list[str] = []
                result = app(environ, lambda s, h, e=None, status=status: status.append(s))
                b"".join(result)
                result.close()
                assert status[0][:3] in ("200", "201"), status

        return many

    handlers = {
        "Django WSGIHandler (gunicorn's path)": wsgi_call(WSGIHandler()),
        "Django ASGIHandler (stock)": asgi_call(ASGIHandler()),
        "shopwatch.core.asgi (one hop to a pool)": asgi_call(StreamingASGIHandler()),
    }
    for call in handlers.values():
        call(10)  # warm
    cpu: dict[str, list[float]] = {name: [] for name in handlers}
    for _ in range(rounds):
        for name, call in handlers.items():
            started = time.process_time()
            call(n)
            cpu[name].append((time.process_time() - started) / n * 1000)
    print(
        f"\nCPU ms per request to {path}, median of {rounds} alternating rounds of {n} "
        f"(load average {os.getloadavg()[0]:.1f}):"
    )
    for name, values in cpu.items():
        rounds_text = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:<42} {statistics.median(values):6.2f}   rounds: {rounds_text}")


def run(n: int, batch: bool) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shopwatch.core.apikeys import apikey_create
    from shopwatch.core.entitlements import Viewer
    from shopwatch.core.models import Channel, Membership, Role

    call_command("migrate", verbosity=0)
    call_command("seed", incidents=200, stdout=io.StringIO())
    m = (
        Membership.objects.filter(role=Role.STORE_REPORTER, active=True, store__isnull=False)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    assert m is not None
    assert m.store_id is not None
    key = apikey_create(viewer=Viewer(user_id=None, channel=Channel.CLI), user=m.user, name="profile").secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    path = "/api/v1/incidents/batch" if batch else "/api/v1/incidents"

    def body(i: int) -> str:
        if batch:
            return json.dumps({"incidents": [incident_body(m.store_id, i * 500 + j) for j in range(500)]})
        return json.dumps(incident_body(m.store_id, i))

    expect = 200 if batch else 201
    if "--handlers" in sys.argv:
        from django.conf import settings

        for db in settings.DATABASES.values():
            db["CONN_MAX_AGE"] = 0  # as under `shopwatch serve`
        compare_handlers(n, path, key, body)
        return
    for i in range(5):  # warm caches and connections
        assert client.post(path, body(10**6 + i), content_type="application/json").status_code == expect
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        r = client.post(path, body(10**7), content_type="application/json")
        assert r.status_code == expect, r.content[:300]
    print(f"{len(queries)} queries for one request:")
    for q in queries.captured_queries:
        print(f"  {q['sql'][:160]}")
    bodies = [body(i) for i in range(n)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for b in bodies:
        client.post(path, b, content_type="application/json")
    plain = (time.perf_counter() - started) / n
    cpu = (time.process_time() - cpu_started) / n
    print(
        f"\n{n} requests to {path} on {connection.vendor}: {plain * 1000:.2f} ms each without the profiler "
        f"({cpu * 1000:.2f} ms CPU in this process; load average {os.getloadavg()[0]:.1f})"
    )
    bodies = [body(n + i) for i in range(n)]
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    for b in bodies:
        client.post(path, b, content_type="application/json")
    prof.disable()
    seconds = time.perf_counter() - started
    print(f"{n} more under cProfile: {seconds / n * 1000:.2f} ms each")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    dump = results / f"profile_api-{connection.vendor}{'-batch' if batch else ''}.prof"
    prof.dump_stats(dump)
    print(f"profile written to {dump.relative_to(ROOT)} (open with python -m pstats or snakeviz)")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


if __name__ == "__main__":
    main()

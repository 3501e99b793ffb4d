"""Benchmark: One Touch Reporting over HTTP against a real server.

    uv run python bench/api_create.py                 # SQLite, the server's default configuration
    uv run python bench/api_create.py --postgres      # also on PostgreSQL (see --help)
    uv run python bench/api_create.py --workers 2 --threads 4 --duration 10
    uv run python bench/api_create.py --server gunicorn --clients 1,8 --batch-clients ''

For each database: a fresh data directory (on PostgreSQL also a new database ``shopwatch_bench_<random>``,
dropped afterwards), `migrate`, a small world (`shopwatch seed --incidents 500`; the test world where `seed`
does not exist), an API key for a store reporter, then the server: `shopwatch serve` (gunicorn directly where
`serve` does not exist). Measured:

* POST /api/v1/incidents, one report per request, at 1, 8 and 32 concurrent clients (each a thread with its
  own keep-alive connection): reports/s, p50/p95/p99 latency, errors.
* POST /api/v1/incidents/batch, 500 reports per request, at 1, 2 and 4 clients: reports/s, request latency.

The per-key rate limit is raised for the run (SHOPWATCH_API_RATE_LIMIT) so the figures show the server, not
the limiter. The load generator runs on the same machine and takes some of its CPU. Each level also records
the machine's load average when it ended: on a shared machine throughput and latency follow the load, server
CPU per report much less. Results are printed and written to bench/results/api_create-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from _harness import wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
UV = shutil.which("uv") or "uv"


# --- Load generation -----------------------------------------------------------------------------


@dataclass
class Level:
    endpoint: str
    clients: int
    seconds: float
    requests: int
    reports: int
    errors: int
    reports_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_ms_per_report: float = float("nan")
    client_cpu_ms_per_report: float = float("nan")
    load_average: float = float("nan")
    error_samples: list[str] = field(default_factory=list)


TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(pgid: int, db_name: str | None) -> float:
    """CPU time used so far by the server's processes (its process group) and, on PostgreSQL, the
    database backends serving the benchmark database."""
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            mine = int(fields[2]) == pgid
            if not mine and db_name:
                mine = db_name in (d / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            continue
        if mine:
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / TICKS


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def incident_body(store: int, n: int) -> dict[str, Any]:
    occurred = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30 + n % 600)
    return {
        "store": store,
        "type": "theft",
        "occurred_at": occurred.isoformat(),
        "description": f"Bench report {n}: took razor blades from aisle 4 and left by the front door",
        "goods": [{"description": "Razor blades", "value": "24.99", "quantity": 2}],
        "location_detail": "Aisle 4",
        "external_ref": f"bench-{n}",
    }


class Client(threading.Thread):
    """One client: its own keep-alive connection, sends until the deadline."""

    def __init__(
        self,
        *,
        port: int,
        key: str,
        path: str,
        make_body: Any,
        start_at: float,
        stop_at: float,
        per_request: int,
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.make_body = port, path, make_body
        self.start_at, self.stop_at, self.per_request = start_at, stop_at, per_request
        self.headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Connection": "keep-alive",
        }
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.reports = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while True:
            body = json.dumps(self.make_body()).encode()
            t0 = time.perf_counter()
            if t0 >= self.stop_at:
                break
            try:
                conn.request("POST", self.path, body=body, headers=self.headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if t0 >= self.start_at:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            t1 = time.perf_counter()
            if t0 < self.start_at:  # warm-up
                continue
            self.latencies.append(t1 - t0)
            if self.per_request == 1:
                if status == 201:
                    self.reports += 1
                else:
                    self.errors.append(f"{status}: {data[:200]!r}")
            elif status == 200:
                out = json.loads(data)
                self.reports += out["created"]
                if out["failed"]:
                    self.errors.append(
                        f"batch: {out['failed']} items failed, e.g. "
                        f"{next(r for r in out['results'] if r['status'] >= 400)}"
                    )
            else:
                self.errors.append(f"{status}: {data[:200]!r}")
        conn.close()


def measure(
    *,
    port: int,
    key: str,
    store: int,
    path: str,
    clients: int,
    seconds: float,
    warmup: float,
    per_request: int,
    server_pgid: int,
    db_name: str | None,
) -> Level:
    counter = iter(range(10**12))
    lock = threading.Lock()

    def make_body() -> dict[str, Any]:
        with lock:
            n = next(counter)
        if per_request == 1:
            return incident_body(store, n)
        return {"incidents": [incident_body(store, n * per_request + i) for i in range(per_request)]}

    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds
    threads = [
        Client(
            port=port,
            key=key,
            path=path,
            make_body=make_body,
            start_at=start_at,
            stop_at=stop_at,
            per_request=per_request,
        )
        for _ in range(clients)
    ]
    cpu: dict[str, float] = {}

    def snapshot(when: str) -> None:
        cpu[f"server_{when}"] = server_cpu_seconds(server_pgid, db_name)
        cpu[f"client_{when}"] = time.process_time()

    timer = threading.Timer(warmup, snapshot, args=("start",))
    timer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    timer.join()
    snapshot("end")
    # The last requests may finish after stop_at: count the real span.
    elapsed = max(seconds, time.perf_counter() - start_at)
    lat = sorted(x for t in threads for x in t.latencies)
    errors = [e for t in threads for e in t.errors]
    reports = sum(t.reports for t in threads)
    return Level(
        endpoint=path,
        clients=clients,
        seconds=round(elapsed, 2),
        requests=len(lat),
        reports=reports,
        errors=len(errors),
        reports_per_s=round(reports / elapsed, 1),
        p50_ms=round(percentile(lat, 0.50) * 1000, 1),
        p95_ms=round(percentile(lat, 0.95) * 1000, 1),
        p99_ms=round(percentile(lat, 0.99) * 1000, 1),
        max_ms=round((lat[-1] if lat else float("nan")) * 1000, 1),
        server_cpu_ms_per_report=round((cpu["server_end"] - cpu["server_start"]) / max(reports, 1) * 1000, 2),
        client_cpu_ms_per_report=round((cpu["client_end"] - cpu["client_start"]) / max(reports, 1) * 1000, 2),
        load_average=round(os.getloadavg()[0], 2),
        error_samples=sorted(set(errors))[:5],
    )


# --- Server set-up --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_COMMANDS: list[str] = []


def has_command(env: dict[str, str], name: str) -> bool:
    if _COMMANDS:
        return name in _COMMANDS
    out = subprocess.run(
        [UV, "run", "--no-sync", "shopwatch", "help", "--commands"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    _COMMANDS.extend(out.stdout.split())
    return name in _COMMANDS


def prepare_world(env: dict[str, str], args: argparse.Namespace) -> tuple[str, int, str]:
    """Migrate, seed, make a store reporter's API key. Returns (key, store id, how the world was made)."""
    subprocess.run([UV, "run", "--no-sync", "shopwatch", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    seeded = has_command(env, "seed")
    if seeded:
        subprocess.run(
            [UV, "run", "--no-sync", "shopwatch", "seed", "--incidents", str(args.seed_incidents)],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    script = f"""
import json, django
django.setup()
from shopwatch.core.models import Membership, Role, Channel
from shopwatch.core.entitlements import Viewer
from shopwatch.core.apikeys import apikey_create
if not {seeded!r}:
    from tests.world import build_world
    build_world()
m = (Membership.objects
     .filter(role=Role.STORE_REPORTER, active=True, store__isnull=False, user__is_active=True)
     .select_related("user").order_by("pk").first())
new = apikey_create(viewer=Viewer(user_id=None, channel=Channel.CLI), user=m.user, name="bench")
print(json.dumps({{"key": new.secret, "store": m.store_id}}))
"""
    out = subprocess.run(
        [UV, "run", "--no-sync", "python", "-c", script],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    return info["key"], int(info["store"]), "shopwatch seed" if seeded else "tests.world"


def start_server(
    env: dict[str, str],
    port: int,
    workers: int | None,
    threads: int | None,
    no_task_worker: bool,
    log: Path,
    server: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    extra = [f"--{n}={v}" for n, v in (("server", server), ("workers", workers), ("threads", threads)) if v]
    if no_task_worker:
        extra.append("--no-task-worker")
    if has_command(env, "serve"):
        cmd = [UV, "run", "--no-sync", "shopwatch", "serve", "--port", str(port), *extra]
        label = " ".join(["shopwatch serve", *extra])
    else:
        w, t = workers or 2, threads or 8
        cmd = [
            UV,
            "run",
            "--no-sync",
            "gunicorn",
            "shopwatch.wsgi:application",
            "-k",
            "gthread",
            "--workers",
            str(w),
            "--threads",
            str(t),
            "-b",
            f"127.0.0.1:{port}",
        ]
        label = f"gunicorn gthread --workers {w} --threads {t}"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_answering(proc, port, log, timeout=180)
    except RuntimeError:
        stop_server(proc)
        raise
    return proc, label


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def run_levels(
    args: argparse.Namespace, label: str, port: int, key: str, store: int, pgid: int, db_name: str | None
) -> list[Level]:
    levels: list[Level] = []
    for clients in args.clients:
        lv = measure(
            port=port,
            key=key,
            store=store,
            path="/api/v1/incidents",
            clients=clients,
            seconds=args.duration,
            warmup=args.warmup,
            per_request=1,
            server_pgid=pgid,
            db_name=db_name,
        )
        levels.append(lv)
        print(
            f"[{label}] POST /api/v1/incidents {clients:>3} clients: {lv.reports_per_s:>7.1f} reports/s  "
            f"p50 {lv.p50_ms:>6.1f} ms  p95 {lv.p95_ms:>6.1f} ms  p99 {lv.p99_ms:>6.1f} ms  "
            f"errors {lv.errors}  CPU/report: server {lv.server_cpu_ms_per_report:.1f} ms, "
            f"client {lv.client_cpu_ms_per_report:.1f} ms  load average {lv.load_average:.1f}",
            flush=True,
        )
        for e in lv.error_samples:
            print(f"        e.g. {e}")
    for clients in args.batch_clients:
        lv = measure(
            port=port,
            key=key,
            store=store,
            path="/api/v1/incidents/batch",
            clients=clients,
            seconds=args.batch_duration,
            warmup=args.warmup,
            per_request=args.batch_size,
            server_pgid=pgid,
            db_name=db_name,
        )
        levels.append(lv)
        print(
            f"[{label}] POST /api/v1/incidents/batch ({args.batch_size}/request) {clients:>2} clients: "
            f"{lv.reports_per_s:>7.1f} reports/s  {lv.requests} requests, p50 {lv.p50_ms:.0f} ms  "
            f"p95 {lv.p95_ms:.0f} ms  errors {lv.errors}  CPU/report: server "
            f"{lv.server_cpu_ms_per_report:.2f} ms, client {lv.client_cpu_ms_per_report:.2f} ms  "
            f"load average {lv.load_average:.1f}",
            flush=True,
        )
        for e in lv.error_samples:
            print(f"        e.g. {e}")
    return levels


def run_database(args: argparse.Namespace, label: str, database_url: str | None) -> list[dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="shopwatch-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        SHOPWATCH_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="shopwatch.settings",
        SHOPWATCH_API_RATE_LIMIT=str(args.rate_limit),
        PYTHONPATH=str(ROOT),
    )
    db_name = None
    if database_url:
        db_name = f"shopwatch_bench_{secrets.token_hex(4)}"
        admin_sql(database_url, f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = with_database(database_url, db_name)
    runs = []
    try:
        key, store, world = prepare_world(env, args)
        # One database, each server configuration in turn (the incidents of earlier runs stay in it).
        for workers, threads in args.configs or [(args.workers, args.threads)]:
            port = args.port or free_port()
            proc, server = start_server(
                env, port, workers, threads, args.no_task_worker, data_dir / "server.log", args.server
            )
            try:
                print(
                    f"\n[{label}] server: {server}; world: {world}; store {store}; load average "
                    f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                    flush=True,
                )
                levels = run_levels(args, label, port, key, store, proc.pid, db_name)
            finally:
                stop_server(proc)
            runs.append(
                {
                    "database": label,
                    "server": server,
                    "world": world,
                    "cpus": os.cpu_count(),
                    "load_average_at_start": round(os.getloadavg()[0], 2),
                    "rate_limit": args.rate_limit,
                    "levels": [asdict(lv) for lv in levels],
                }
            )
        return runs
    finally:
        if db_name and database_url:
            admin_sql(database_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    p.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    p.add_argument(
        "--server", choices=("uvicorn", "gunicorn"), help="shopwatch serve --server (default: uvicorn)"
    )
    p.add_argument("--workers", type=int, help="web server processes (default: shopwatch serve's)")
    p.add_argument("--threads", type=int, help="request threads per process (default: shopwatch serve's)")
    p.add_argument(
        "--configs",
        type=lambda s: [tuple(int(n) for n in c.split("x")) for c in s.split(",")],
        help="several server configurations in turn, e.g. 2x4,2x8,4x2 (workers x threads)",
    )
    p.add_argument("--no-task-worker", action="store_true", help="serve without the background task worker")
    p.add_argument("--seed-incidents", type=int, default=500, help="incidents in the seeded world")
    p.add_argument("--port", type=int)
    p.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    p.add_argument("--batch-clients", type=lambda s: [int(x) for x in s.split(",") if x], default=[1, 2, 4])
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per level")
    p.add_argument("--batch-duration", type=float, default=15.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--rate-limit", type=int, default=1_000_000, help="the server's SHOPWATCH_API_RATE_LIMIT")
    args = p.parse_args()
    # Stopped with SIGTERM: still stop the server and drop the benchmark database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))

    database_url = os.environ.get("DATABASE_URL")
    if args.postgres and not database_url:
        start = [str(ROOT / "scripts" / "postgres-start")]
        database_url = subprocess.run(start, check=True, capture_output=True, text=True).stdout.strip()
    runs = []
    if not args.no_sqlite:
        runs.extend(run_database(args, "sqlite", None))
    if database_url:
        runs.extend(run_database(args, "postgresql", database_url))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"api_create-{stamp}.json"
    path.write_text(json.dumps({"at": stamp, "runs": runs}, indent=2))
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

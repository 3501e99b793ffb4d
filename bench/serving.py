"""Benchmark: gunicorn gthread (WSGI) against uvicorn (ASGI) for One Touch Reporting.

    uv run python bench/serving.py                  # 3 alternating rounds of 10 s each, 8 clients
    uv run python bench/serving.py --rounds 5 --seconds 15 --clients 8
    uv run python bench/serving.py --servers serve,uvicorn --clients 1      # the TCP_NODELAY difference
    uv run python bench/serving.py --servers serve --serve-threads 8        # a larger request pool

One fresh SQLite data directory (the test world from tests/world.py, a store reporter's API key), then, in
alternating rounds so that other load on the machine falls on all alike, each of --servers (default
gunicorn,serve):

* gunicorn: gunicorn gthread, --workers x --threads, on shopwatch.wsgi;
* serve: the web server of `shopwatch serve` (uvicorn --workers on shopwatch.core.asgi, on the listening
  socket `shopwatch serve` makes, so connections have TCP_NODELAY), without access log, task worker or
  scheduler;
* uvicorn: `python -m uvicorn shopwatch.core.asgi:application --workers N` as uvicorn binds it itself (with
  more than one worker its connections keep Nagle's algorithm on: Kludex/uvicorn#3149).

Each round: POST /api/v1/incidents, one report per request, from N client threads with their own keep-alive
connections, after a 2 s warm-up. Printed: reports/s, p50/p95/p99 latency, errors, server CPU ms per report
and the load average, per round and the median round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from _harness import ROOT, DataDir, Server, percentile, wait_until_answering

sys.path.insert(0, str(ROOT))
from shopwatch.core.management.commands._serving import uvicorn_command


class ServeWebServer(Server):
    """The web server of `shopwatch serve` alone (see uvicorn_command), on a free port."""

    def __init__(self, data: DataDir, *, workers: int = 2, threads: int | None = None) -> None:
        from _harness import free_port

        self.port = free_port()
        self.kind = "serve"
        self.label = f"shopwatch serve's uvicorn --workers {workers}" + (f" x {threads}" if threads else "")
        cmd = [*uvicorn_command(host="127.0.0.1", port=self.port, workers=workers), "--no-access-log"]
        env = dict(data.env)
        if threads:
            env["SHOPWATCH_REQUEST_THREADS"] = str(threads)
        self.log = data.path / f"server-{self.port}.log"
        with self.log.open("wb") as fh:
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_until_answering(self.proc, self.port, self.log)
        except RuntimeError:
            self.stop()
            raise


WORLD = """
import json
from tests.world import build_world
from shopwatch.core.apikeys import apikey_create
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import Channel
w = build_world()
new = apikey_create(viewer=Viewer(user_id=None, channel=Channel.CLI), user=w.users["reporter"], name="bench")
print(json.dumps({"key": new.secret, "store": w.stores["nw-brighton"].pk}))
"""


def body(store: int, n: int) -> bytes:
    occurred = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30 + n % 600)
    return json.dumps(
        {
            "store": store,
            "type": "theft",
            "occurred_at": occurred.isoformat(),
            "description": f"Bench report {n}: took razor blades from aisle 4 and left by the front door",
            "goods": [{"description": "Razor blades", "value": "24.99", "quantity": 2}],
            "location_detail": "Aisle 4",
        }
    ).encode()


def load(port: int, key: str, store: int, clients: int, seconds: float, warmup: float) -> dict[str, Any]:
    counter = itertools.count()
    lock = threading.Lock()
    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds
    lat: list[float] = []
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                n = next(counter)
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            try:
                conn.request("POST", "/api/v1/incidents", body=body(store, n), headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                errors.append(type(exc).__name__)
                continue
            t1 = time.perf_counter()
            if t0 < start_at:
                continue
            with lock:
                if resp.status == 201:
                    lat.append(t1 - t0)
                else:
                    errors.append(f"{resp.status} {data[:120]!r}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    return {
        "reports_per_s": round(len(lat) / seconds, 1),
        "p50_ms": round(percentile(lat, 0.5) * 1000, 1),
        "p95_ms": round(percentile(lat, 0.95) * 1000, 1),
        "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "reports": len(lat),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    ap.add_argument("--serve-threads", type=int, help="request threads per serve worker (default: its own)")
    ap.add_argument("--servers", default="gunicorn,serve", help="any of gunicorn, serve, uvicorn")
    args = ap.parse_args()
    kinds = [k for k in args.servers.split(",") if k]
    unknown = set(kinds) - {"gunicorn", "serve", "uvicorn"}
    if unknown:
        ap.error(f"unknown server {', '.join(sorted(unknown))}")
    data = DataDir()
    try:
        info = json.loads(data.python(WORLD).strip().splitlines()[-1])
        results: dict[str, list[dict[str, Any]]] = {}
        for rnd in range(args.rounds):
            for kind in kinds:
                if kind == "serve":
                    server: Server = ServeWebServer(data, workers=args.workers, threads=args.serve_threads)
                else:
                    # "uvicorn": bare `python -m uvicorn` (Nagle's algorithm on), to compare with serve's.
                    raw = "uvicorn-raw" if kind == "uvicorn" else kind
                    server = Server(data, raw, workers=args.workers, threads=args.threads)
                try:
                    cpu0 = server.cpu_seconds()
                    r = load(server.port, info["key"], info["store"], args.clients, args.seconds, 2.0)
                    r["server_cpu_ms_per_report"] = round(
                        (server.cpu_seconds() - cpu0) / max(r["reports"], 1) * 1000, 2
                    )
                    r["rss_mib"] = round(server.rss_bytes() / 2**20, 1)
                    r["load_average"] = round(os.getloadavg()[0], 2)
                finally:
                    server.stop()
                results.setdefault(server.label, []).append(r)
                print(
                    f"round {rnd + 1} {server.label:<28} {r['reports_per_s']:>7.1f} reports/s  "
                    f"p50 {r['p50_ms']:>6.1f} ms  p95 {r['p95_ms']:>6.1f} ms  p99 {r['p99_ms']:>6.1f} ms  "
                    f"errors {r['errors']}  server CPU {r['server_cpu_ms_per_report']} ms/report  "
                    f"RSS {r['rss_mib']} MiB  load {r['load_average']:.1f} {r['error_samples'] or ''}",
                    flush=True,
                )
        print(f"\nMedian of {args.rounds} rounds at {args.clients} clients:")
        for label, rs in results.items():
            print(
                f"  {label:<28} {statistics.median(r['reports_per_s'] for r in rs):>7.1f} reports/s  "
                f"p50 {statistics.median(r['p50_ms'] for r in rs):>6.1f} ms  "
                f"p95 {statistics.median(r['p95_ms'] for r in rs):>6.1f} ms  "
                f"p99 {statistics.median(r['p99_ms'] for r in rs):>6.1f} ms  "
                f"CPU {statistics.median(r['server_cpu_ms_per_report'] for r in rs)} ms/report  "
                f"load {statistics.median(r['load_average'] for r in rs):.1f}"
            )
    finally:
        data.close()


if __name__ == "__main__":
    main()

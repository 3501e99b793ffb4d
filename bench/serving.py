"""Benchmark: gunicorn gthread (WSGI) against uvicorn (ASGI) for One Touch Reporting.

    uv run python bench/serving.py                  # 3 alternating rounds of 10 s each, 8 clients
    uv run python bench/serving.py --rounds 5 --seconds 15 --clients 8

One fresh SQLite data directory (the test world from tests/world.py, a store reporter's API key), then, in
alternating rounds so that other load on the machine falls on both alike: (a) gunicorn gthread 2 workers x 8
threads on shopwatch.wsgi, (b) uvicorn --workers 2 on shopwatch.asgi. Each round: POST /api/v1/incidents,
one report per request, from N client threads with their own keep-alive connections, after a 2 s warm-up.
Printed: reports/s, p50/p95/p99 latency, errors, server CPU ms per report, per round and the median round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import statistics
import threading
import time
from typing import Any

from _harness import DataDir, Server, percentile

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
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    data = DataDir()
    try:
        info = json.loads(data.python(WORLD).strip().splitlines()[-1])
        results: dict[str, list[dict[str, Any]]] = {}
        for rnd in range(args.rounds):
            for kind in ("gunicorn", "uvicorn"):
                server = Server(data, kind, workers=args.workers, threads=args.threads)
                try:
                    cpu0 = server.cpu_seconds()
                    r = load(server.port, info["key"], info["store"], args.clients, args.seconds, 2.0)
                    r["server_cpu_ms_per_report"] = round(
                        (server.cpu_seconds() - cpu0) / max(r["reports"], 1) * 1000, 2
                    )
                    r["rss_mib"] = round(server.rss_bytes() / 2**20, 1)
                finally:
                    server.stop()
                results.setdefault(server.label, []).append(r)
                print(
                    f"round {rnd + 1} {server.label:<28} {r['reports_per_s']:>7.1f} reports/s  "
                    f"p50 {r['p50_ms']:>6.1f} ms  p95 {r['p95_ms']:>6.1f} ms  p99 {r['p99_ms']:>6.1f} ms  "
                    f"errors {r['errors']}  server CPU {r['server_cpu_ms_per_report']} ms/report  "
                    f"RSS {r['rss_mib']} MiB {r['error_samples'] or ''}",
                    flush=True,
                )
        print(f"\nMedian of {args.rounds} rounds at {args.clients} clients:")
        for label, rs in results.items():
            print(
                f"  {label:<28} {statistics.median(r['reports_per_s'] for r in rs):>7.1f} reports/s  "
                f"p95 {statistics.median(r['p95_ms'] for r in rs):>6.1f} ms  "
                f"p99 {statistics.median(r['p99_ms'] for r in rs):>6.1f} ms  "
                f"CPU {statistics.median(r['server_cpu_ms_per_report'] for r in rs)} ms/report"
            )
    finally:
        data.close()


if __name__ == "__main__":
    main()

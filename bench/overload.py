"""Overload: 128 concurrent clients sending single reports to `shopwatch serve`'s web server (SQLite, the
embedded default, 2 worker processes). Every answer must be 201, or 503/429 with Retry-After; never a 500
and never "database is locked". Counts each status, checks Retry-After, and reports the 201s' latency.

    uv run python bench/overload.py [--clients 128] [--duration 15] [--workers 2] [--queue N]

--queue sets SHOPWATCH_REQUEST_QUEUE (requests allowed to wait for a request thread per process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DataDir, Server, percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=128)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int)
    args = parser.parse_args()

    data = DataDir()
    server = None
    try:
        data.manage("seed", "--incidents", "0")
        key = data.manage("apikey", "create", "--user", "reporter@demo.shopwatch.test", "--name", "load")
        key = key.strip().splitlines()[-1]
        env = {"SHOPWATCH_REQUEST_QUEUE": str(args.queue)} if args.queue else {}
        server = Server(data, "uvicorn", workers=args.workers, env=env)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        conn.request("GET", "/api/v1/stores", headers={"Authorization": f"Bearer {key}"})
        store = json.loads(conn.getresponse().read())["items"][0]["id"]
        conn.close()

        statuses: Counter[str] = Counter()
        latencies: list[float] = []
        problems: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.duration
        port = server.port

        def client(i: int) -> None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            n = 0
            while time.monotonic() < stop_at:
                body = json.dumps(
                    {
                        "store": store,
                        "type": "theft",
                        "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
                        "description": f"Overload {i}-{n}",
                    }
                )
                began = time.monotonic()
                try:
                    c.request(
                        "POST",
                        "/api/v1/incidents",
                        body=body,
                        headers={
                            "Authorization": f"Bearer {key}",
                            "Content-Type": "application/json",
                            "Idempotency-Key": f"overload-{i}-{n}",
                        },
                    )
                    r = c.getresponse()
                    text = r.read().decode(errors="replace")
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        statuses[f"connection error ({type(exc).__name__})"] += 1
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    continue
                took = time.monotonic() - began
                with lock:
                    statuses[str(r.status)] += 1
                    if r.status == 201:
                        latencies.append(took)
                        n += 1
                    elif r.status in (429, 503) and not r.getheader("Retry-After"):
                        problems.append(f"{r.status} without Retry-After")
                    if "database is locked" in text:
                        problems.append(f"{r.status} says 'database is locked'")
                    if r.status >= 500 and r.status != 503:
                        problems.append(f"{r.status}: {text[:200]}")
                if r.status in (429, 503):
                    time.sleep(float(r.getheader("Retry-After") or 1))
            c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
        latencies.sort()
        load = os.getloadavg()[0]
        print(
            f"{args.clients} clients, {args.duration:g} s, uvicorn x{args.workers} on SQLite "
            f"(queue {args.queue or 'default'}); load average {load:.1f}"
        )
        print("| answer | count |")
        print("| --- | ---: |")
        for status, count in sorted(statuses.items()):
            print(f"| {status} | {count:,} |")
        p50, p95, p99 = (percentile(latencies, q) * 1000 for q in (0.5, 0.95, 0.99))
        print(f"201s: {len(latencies) / elapsed:.1f}/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms")
        print(f"problems: {len(problems)}" + (f" (first: {problems[:3]})" if problems else ""))
    finally:
        if server is not None:
            server.stop()
        data.close()


if __name__ == "__main__":
    main()

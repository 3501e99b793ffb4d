"""SQLite commits a second in WAL mode with synchronous=NORMAL against FULL (decision 0004's durability).

With NORMAL a commit is durable against a killed process but not against power loss (the WAL is synced only at
checkpoints); with FULL the WAL is synced at every commit. This measures what FULL costs: small transactions
like a report's (BEGIN IMMEDIATE, a few inserts, COMMIT) from 1 and from 4 threads, on a file in the data
directory's file system (SHOPWATCH_DATA_DIR, default ./var), alternating the two settings.

    uv run python bench/sqlite_durability.py [--seconds 5] [--rounds 3] [--dir var]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    return conn


def run(path: Path, synchronous: str, threads: int, seconds: float) -> float:
    counts = [0] * threads
    stop = time.monotonic() + seconds
    payload = "x" * 600  # about a report's row with its status change and audit entry

    def work(i: int) -> None:
        conn = _connect(path, synchronous)
        n = 0
        while time.monotonic() < stop:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO incident(body) VALUES (?)", (payload,))
            conn.execute("INSERT INTO status(incident, body) VALUES (last_insert_rowid(), 'submitted')")
            conn.execute("INSERT INTO audit(body) VALUES (?)", (payload[:200],))
            conn.execute("COMMIT")
            n += 1
        counts[i] = n
        conn.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    began = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=os.environ.get("SHOPWATCH_DATA_DIR", "var"))
    args = parser.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-durability-") as tmp:
        path = Path(tmp) / "bench.sqlite3"
        setup = _connect(path, "FULL")
        setup.executescript(
            "CREATE TABLE incident(id INTEGER PRIMARY KEY, body TEXT);"
            "CREATE TABLE status(id INTEGER PRIMARY KEY, incident INTEGER, body TEXT);"
            "CREATE TABLE audit(id INTEGER PRIMARY KEY, body TEXT);"
        )
        setup.close()
        for _round in range(args.rounds):
            for synchronous in ("NORMAL", "FULL"):
                for threads in (1, 4):
                    rate = run(path, synchronous, threads, args.seconds)
                    results.setdefault((synchronous, threads), []).append(rate)
    where = Path(args.dir).resolve()
    print(f"file system of {where}; {args.rounds} alternating rounds of {args.seconds:g} s")
    print("| synchronous | threads | commits/s (median) | rounds |")
    print("| --- | ---: | ---: | --- |")
    for (synchronous, threads), rates in results.items():
        shown = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"| {synchronous} | {threads} | {statistics.median(rates):,.0f} | {shown} |")


if __name__ == "__main__":
    main()

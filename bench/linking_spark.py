"""Scoring on Splink's Spark backend (pyspark local[2]) beside DuckDB, with the same model trained on DuckDB.

Usage:
  nice uv run python bench/linking_spark.py [COUNT]   # COUNT synthetic records (default 20,000)

Trains once on DuckDB, then times `score_all` on DuckDB and on Spark over the same records, and reports the
pairs scored, the proposals (at or above 0.5) each backend makes, how many differ, and the largest difference
in probability. Spark's time includes starting the JVM and session (the first call in a process).
"""

from __future__ import annotations

import sys
import time

from linking_synthetic import generate

from shopwatch.linking.engine import PROPOSAL_THRESHOLD, score_all, train_model


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    records, _ = generate(count)
    started = time.perf_counter()
    model = train_model(records)
    print(f"records {count:,}; training on DuckDB {time.perf_counter() - started:.1f} s")
    results = {}
    for backend in ("duckdb", "spark"):
        started = time.perf_counter()
        pairs = score_all(records, model, backend=backend)
        seconds = time.perf_counter() - started
        results[backend] = {(p.record_id_l, p.record_id_r): p.match_probability for p in pairs}
        proposals = sum(1 for p in pairs if p.match_probability >= PROPOSAL_THRESHOLD)
        print(f"{backend:6} scoring {seconds:7.1f} s  pairs {len(pairs):,}  proposals {proposals:,}")
    duck, spark = results["duckdb"], results["spark"]
    differ = {k for k, p in duck.items() if p >= PROPOSAL_THRESHOLD} ^ {
        k for k, p in spark.items() if p >= PROPOSAL_THRESHOLD
    }
    common = duck.keys() & spark.keys()
    largest = max((abs(duck[k] - spark[k]) for k in common), default=0.0)
    print(f"proposals that differ {len(differ)}; largest probability difference {largest:.2g}")


if __name__ == "__main__":
    main()

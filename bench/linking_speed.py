"""Speed of the linkage engine: `shopwatch link evaluate` end to end, and incremental scoring.

Usage:
  uv run python bench/linking_speed.py evaluate10k          # FEBRL4 a+b (10,000 records), and Splink
  uv run python bench/linking_speed.py million [COUNT]      # COUNT synthetic records (default 1,000,000)
  uv run python bench/linking_speed.py incremental [COUNT]  # one new person against COUNT indexed ones

`evaluate10k` and `million` run the real command in a child process (Django start-up, reading the CSV,
training without labels, scoring, writing the pairs) and report its wall time and peak memory (the child's
maximum resident set size). `million` then scores the clusters against the synthetic truth. `incremental`
builds a ScoringIndex over COUNT synthetic records with a model trained on them, then scores new people one
at a time: copies of indexed people with their fields corrupted, and people not indexed at all; then the same
people again with Splink writing its SQL on every call (the kept SQL forgotten before each), for comparison.
"""

from __future__ import annotations

import csv
import dataclasses
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from linking_accuracy import out_of_the_box_links
from linking_data import febrl4, write_contract_csv
from linking_synthetic import generate

from shopwatch.linking.engine import PROPOSAL_THRESHOLD, PersonRecord, ScoredPair, ScoringIndex, train_model
from shopwatch.linking.engine.clusters import cluster_pairwise_scores, connected_components

SHOPWATCH = str(Path(sys.executable).with_name("shopwatch"))


def run_evaluate(source: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of `shopwatch link evaluate SOURCE --out OUT`."""
    started = time.perf_counter()
    done = subprocess.run(
        [SHOPWATCH, "link", "evaluate", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"link evaluate failed:\n{done.stdout}\n{done.stderr}")
    print("  " + done.stdout.strip(), flush=True)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mib


def proposals(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            (r["record_id_l"], r["record_id_r"])
            for r in csv.DictReader(fh)
            if float(r["match_probability"]) >= PROPOSAL_THRESHOLD
        ]


def evaluate10k() -> None:
    records, truth = febrl4()
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "febrl4.csv", Path(tmp) / "pairs.csv"
        write_contract_csv(records, source)
        seconds, peak = run_evaluate(source, out)
        scores = cluster_pairwise_scores(
            connected_components([r.record_id for r in records], proposals(out)), truth
        )
    print(
        f"FEBRL4 {len(records)} records, shopwatch link evaluate: {seconds:.1f} s wall, peak {peak:.0f} MiB; "
        f"precision {scores.precision:.4f} recall {scores.recall:.4f} F1 {scores.f1:.4f}",
        flush=True,
    )
    started = time.perf_counter()
    out_of_the_box_links(records)
    print(f"  Splink out of the box on the same records, in process: {time.perf_counter() - started:.1f} s")


def million(count: int) -> None:
    started = time.perf_counter()
    records, truth = generate(count)
    people = len(set(truth.values()))
    print(f"{count} synthetic records ({people} people) made in {time.perf_counter() - started:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "people.csv", Path(tmp) / "pairs.csv"
        write_contract_csv(records, source)
        ids = [r.record_id for r in records]
        del records
        seconds, peak = run_evaluate(source, out)
        links = proposals(out)
    scores = cluster_pairwise_scores(connected_components(ids, links), truth)
    print(
        f"{count} records, shopwatch link evaluate: {seconds:.0f} s wall ({seconds / 60:.1f} min), "
        f"peak {peak:.0f} MiB; {len(links)} proposals; precision {scores.precision:.4f} "
        f"recall {scores.recall:.4f} F1 {scores.f1:.4f}",
        flush=True,
    )


def incremental(count: int) -> None:
    records, _ = generate(count)
    started = time.perf_counter()
    model = train_model(records)
    print(f"model trained on {count} records in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    index = ScoringIndex.build(records, model)
    print(f"index of {count} records built in {time.perf_counter() - started:.0f} s", flush=True)
    rng = random.Random(11)
    fresh, _ = generate(40, seed=99)
    news = []
    for i in range(10):
        known = rng.choice(records)
        news.append(
            dataclasses.replace(
                known, record_id=f"new-known-{i}", first_name=known.first_name[:-1], town="", postcode=""
            )
        )
    news += [dataclasses.replace(r, record_id=f"new-fresh-{i}") for i, r in enumerate(fresh[:10])]
    index.score([news[0]])  # the first call has Splink write the SQL that later calls run again
    kept = time_people(index, news, count, "Splink's SQL kept")
    # The same people with Splink writing its SQL on every call (what each call did before it was kept).
    again = time_people(index, news, count, "Splink's SQL written on every call", forget_sql=True)
    if kept != again:
        raise SystemExit("The kept SQL and Splink's SQL written anew gave different pairs.")


def time_people(
    index: ScoringIndex, news: list[PersonRecord], count: int, label: str, *, forget_sql: bool = False
) -> list[list[ScoredPair]]:
    times: list[float] = []
    cpu: list[float] = []
    results = []
    for person in news:
        if forget_sql:
            index._plans.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        pairs = index.score([person])
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        results.append(pairs)
    found = sum(any(p.match_probability >= PROPOSAL_THRESHOLD for p in pairs) for pairs in results)
    print(
        f"one new person against {count}, {label}: wall median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms; CPU median {statistics.median(cpu) * 1000:.0f} ms, "
        f"max {max(cpu) * 1000:.0f} ms; {len(times)} people ({found} with a proposal); "
        f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
        flush=True,
    )
    return results


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "evaluate10k"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    {
        "evaluate10k": lambda: evaluate10k(),
        "million": lambda: million(count),
        "incremental": lambda: incremental(count),
    }[mode]()


if __name__ == "__main__":
    main()

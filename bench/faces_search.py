"""Benchmark: a top-5 face search in a gallery of 1,000,000 faces, exact and through FAISS.

    uv run python bench/faces_search.py [--faces 1000000] [--queries 200] [--threads 1]

The gallery is synthetic: normalised 128-d vectors, five per person (a person's direction plus noise, as
several photos of one face are near each other), built with a fixed seed. Each query is a new noisy view of
a random person in the gallery. For each method: the p50/p95 wall time of one top-5 search and, for the
approximate index, recall@5 against the exact answer (the share of the exact top 5 it also returns).
Memory per million faces is the resident size the gallery and each index add to the process.

Methods: exact numpy (engine.Gallery's small-gallery path: one matrix-vector product with the rows'
squared norms kept), FAISS IndexFlatL2 (exact, BLAS), and FAISS IVF-flat (engine.build_ivf_index: about
4 * sqrt(n) lists) at a few nprobe values, the one the app uses marked.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shopwatch.faces import engine


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gallery(count: int, per_person: int = 5, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    people = count // per_person
    centres = rng.standard_normal((people, 128), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = np.repeat(centres, per_person, axis=0)
    vectors += rng.standard_normal(vectors.shape, dtype=np.float32) * np.float32(0.04)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, centres


def timed(search, queries: np.ndarray) -> tuple[list[np.ndarray], float, float]:  # type: ignore[no-untyped-def]
    answers, times = [], []
    for q in queries:
        started = time.perf_counter()
        answers.append(search(q))
        times.append(time.perf_counter() - started)
    times.sort()
    return answers, times[len(times) // 2] * 1000, times[int(len(times) * 0.95)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import faiss

    faiss.omp_set_num_threads(args.threads)
    base = rss_mb()
    vectors, centres = gallery(args.faces)
    rng = np.random.default_rng(11)
    picks = rng.integers(0, len(centres), args.queries)
    queries = centres[picks] + rng.standard_normal((args.queries, 128), dtype=np.float32) * np.float32(0.04)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    per_million = 1_000_000 / args.faces
    print(f"{args.faces:,} faces, {args.queries} queries, {args.threads} FAISS thread(s)")
    print(f"gallery vectors: {(rss_mb() - base) * per_million:,.0f} MB per million faces (RSS)")

    before = rss_mb()
    # The app's exact path, whatever the size (a gallery this large would use FAISS in the app).
    exact_gallery = engine.Gallery.__new__(engine.Gallery)
    exact_gallery.keys = np.arange(args.faces, dtype=np.int64)
    exact_gallery.vectors = vectors
    exact_gallery.norms = np.einsum("ij,ij->i", vectors, vectors)
    exact_gallery.index = None
    exact, p50, p95 = timed(lambda q: np.array([h.key for h in exact_gallery.nearest(q, 5)]), queries)
    print()
    print("| method | p50 ms | p95 ms | recall@5 vs exact | added memory per million faces |")
    print("| --- | ---: | ---: | ---: | ---: |")
    added = (rss_mb() - before) * per_million
    print(f"| exact numpy | {p50:.1f} | {p95:.1f} | 1.000 | {added:,.0f} MB (norms) |")

    before = rss_mb()
    flat = faiss.IndexFlatL2(128)
    flat.add(vectors)
    flat_answers, p50, p95 = timed(lambda q: flat.search(q.reshape(1, 128), 5)[1][0], queries)
    agree = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(flat_answers, exact, strict=True)])
    added = (rss_mb() - before) * per_million
    print(f"| FAISS flat (exact) | {p50:.1f} | {p95:.1f} | {agree:.3f} | {added:,.0f} MB |")
    flat.reset()

    before = rss_mb()
    started = time.perf_counter()
    index = engine.build_ivf_index(vectors)
    built = time.perf_counter() - started
    memory = (rss_mb() - before) * per_million
    default_nprobe = index.nprobe
    nlist = engine.ivf_lists(args.faces)
    for nprobe in sorted({4, 16, nlist // 32, nlist // 16, default_nprobe, nlist // 4}):
        index.nprobe = nprobe
        answers, p50, p95 = timed(lambda q: index.search(q.reshape(1, 128), 5)[1][0], queries)
        recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(answers, exact, strict=True)])
        mark = " (the app's)" if nprobe == default_nprobe else ""
        label = f"FAISS IVF{nlist} nprobe {nprobe}{mark}"
        print(f"| {label} | {p50:.2f} | {p95:.2f} | {recall:.3f} | {memory:,.0f} MB |")
    print()
    print(f"IVF index built (k-means on {min(args.faces, nlist * 64):,} faces, then added) in {built:.1f} s")


if __name__ == "__main__":
    main()

"""Benchmark: accuracy on the labelled face set, and the threshold's calibration.

    uv run python bench/faces_accuracy.py

Encodes every variant of every crop in tests/faces/data (shopwatch/faces/labelled.py: 18 people, 6
CCTV-like variants each) with the app's engine, then counts, for every genuine pair (two variants of one
person) and every impostor pair (two different people), which are called "same person" at the app's
threshold, side by side with face_recognition's out-of-the-box tolerance (distance 0.6) and a few other
thresholds. Prints the false-match rate (impostor pairs called the same person) and false non-match
rate, the highest impostor similarity, and the threshold that keeps the false-match rate at zero here.
Nothing is downloaded.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shopwatch.faces import engine, labelled


def main() -> None:
    started = time.perf_counter()
    encoded: list[tuple[str, str, engine.Vector]] = []
    missed: list[str] = []
    for sample in labelled.samples():
        face = engine.main_face(np.asarray(sample.image, dtype=np.uint8))
        if face is None:
            missed.append(f"{sample.person}/{sample.variant}")
            continue
        encoded.append((sample.person, sample.variant, face.encoding))
    people = {p for p, _, _ in encoded}
    print(f"{len(encoded)} faces encoded from {len(people)} people in {time.perf_counter() - started:.1f} s")
    if missed:
        print(f"no face found in {len(missed)} images: {', '.join(missed)}")

    genuine: list[float] = []
    impostor: list[float] = []
    for (pa, _, va), (pb, _, vb) in itertools.combinations(encoded, 2):
        (genuine if pa == pb else impostor).append(engine.similarity(va, vb))
    g, i = np.array(genuine), np.array(impostor)
    print(f"{len(g)} genuine pairs, {len(i)} impostor pairs")
    print(f"genuine similarity: min {g.min():.3f}, median {np.median(g):.3f}")
    print(
        f"impostor similarity: max {i.max():.3f}, 99th percentile {np.percentile(i, 99):.3f}, "
        f"median {np.median(i):.3f}"
    )
    print()
    print(
        "| threshold (similarity) | distance | false matches | false-match rate "
        "| false non-matches | false non-match rate |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = sorted({engine.LIBRARY_DEFAULT_THRESHOLD, 0.45, engine.MATCH_THRESHOLD, 0.55, 0.60})
    for t in rows:
        fm = int((i >= t).sum())
        fnm = int((g < t).sum())
        label = f"{t:.2f}"
        if abs(t - engine.MATCH_THRESHOLD) < 1e-9:
            label += " (ShopWatch)"
        if abs(t - engine.LIBRARY_DEFAULT_THRESHOLD) < 1e-9:
            label += " (face_recognition default)"
        print(f"| {label} | {1 - t:.2f} | {fm} | {fm / len(i):.2%} | {fnm} | {fnm / len(g):.2%} |")
    safe = float(i.max()) + 0.01
    print()
    print(f"least threshold with no false match on this set (highest impostor + 0.01): {safe:.3f}")
    print(f"the app's threshold: {engine.MATCH_THRESHOLD:.2f}")


if __name__ == "__main__":
    main()

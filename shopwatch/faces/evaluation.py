"""Comparing pairs of image files with the app's own detector, model and threshold.

Behind ``shopwatch faces evaluate``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import engine

OUTPUT_COLUMNS = ("file_x", "file_y", "similarity", "same_person")


class PairsFileError(ValueError):
    """The pairs file lacks the file_x and file_y columns."""


@dataclass(frozen=True)
class PairResult:
    file_x: str
    file_y: str
    similarity: float | None

    @property
    def same_person(self) -> bool | None:
        return None if self.similarity is None else engine.same_person(self.similarity)

    def row(self) -> dict[str, str]:
        same = self.same_person
        return {
            "file_x": self.file_x,
            "file_y": self.file_y,
            "similarity": "" if self.similarity is None else f"{self.similarity:.4f}",
            "same_person": "" if same is None else ("true" if same else "false"),
        }


def read_pairs(handle: TextIO) -> Iterator[tuple[str, str]]:
    """(file_x, file_y) for every row, in order; other columns are ignored."""
    reader = csv.DictReader(handle)
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "file_x" not in columns or "file_y" not in columns:
        raise PairsFileError("the pairs file needs the columns file_x and file_y")
    key_x, key_y = columns["file_x"], columns["file_y"]
    for row in reader:
        yield (row.get(key_x) or "").strip(), (row.get(key_y) or "").strip()


class EncodingCache:
    """The main face's encoding of each file under a folder, worked out once per file."""

    def __init__(self, images: Path) -> None:
        self.root = images.resolve()
        self._seen: dict[str, engine.Vector | None] = {}

    def path_for(self, name: str) -> Path | None:
        if not name:
            return None
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def encoding(self, name: str) -> engine.Vector | None:
        if name not in self._seen:
            self._seen[name] = self._encode(name)
        return self._seen[name]

    def prefetch(self, names: Iterable[str], *, workers: int) -> None:
        """Encode every distinct file once, on ``workers`` processes (detection is CPU-bound)."""
        todo = sorted({n for n in names if n not in self._seen})
        if workers <= 1 or len(todo) < 2 * workers:
            for name in todo:
                self.encoding(name)
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for name, vector in zip(
                todo,
                pool.map(_encode_in_worker, [(str(self.root), n) for n in todo], chunksize=4),
                strict=True,
            ):
                self._seen[name] = vector

    def _encode(self, name: str) -> engine.Vector | None:
        path = self.path_for(name)
        if path is None:
            return None
        try:
            face = engine.main_face(engine.load_image(path))
        except engine.UnreadableImage:
            return None
        return None if face is None else face.encoding


def _encode_in_worker(job: tuple[str, str]) -> engine.Vector | None:
    root, name = job
    return EncodingCache(Path(root)).encoding(name)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def evaluate_pairs(
    pairs: Iterable[tuple[str, str]], *, images: Path, workers: int = 1
) -> Iterator[PairResult]:
    """One result per pair, in order: blank when either file is missing, unreadable or shows no face."""
    pairs = list(pairs)
    cache = EncodingCache(images)
    cache.prefetch([name for pair in pairs for name in pair], workers=workers)
    for file_x, file_y in pairs:
        a, b = cache.encoding(file_x), cache.encoding(file_y)
        score = None if a is None or b is None else round(engine.similarity(a, b), 4)
        yield PairResult(file_x=file_x, file_y=file_y, similarity=score)


def write_results(results: Iterable[PairResult], handle: TextIO) -> int:
    writer = csv.DictWriter(handle, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for result in results:
        writer.writerow(result.row())
        count += 1
    return count

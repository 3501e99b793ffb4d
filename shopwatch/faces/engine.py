"""The face engine: detection, 128-d encodings, similarity, the calibrated threshold and gallery search.

dlib's HOG detector and its ResNet face encoder (through ``face_recognition``, weights inside the
``face_recognition_models`` package, CPU only, nothing downloaded). Everything that compares faces, the
app's searches and ``shopwatch faces evaluate`` alike, goes through this module, so there is one detector,
one model and one threshold.

Similarity is ``1 - d``, where ``d`` is the Euclidean distance between two dlib encodings (the distance
``face_recognition`` compares with its 0.6 "tolerance"), floored at 0: identical faces score 1.0, and two
faces are called the same person when their similarity is at least :data:`MATCH_THRESHOLD`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

with warnings.catch_warnings():
    # face_recognition_models still locates its weights through pkg_resources, which warns on import.
    warnings.simplefilter("ignore")
    import face_recognition

# The one calibrated threshold: a similarity (1 - distance) at or above it is reported as "same person"
# and is the least similarity a search shows as a candidate. Calibrated by bench/faces_accuracy.py on the
# labelled set (shopwatch/faces/labelled.py, tests/faces/data): 1 false match in 5,508 impostor pairs at
# 0.55, where face_recognition's own default (distance 0.6, similarity 0.40) lets 308 through (5.6%).
MATCH_THRESHOLD = 0.55


@dataclass(frozen=True)
class Calibration:
    """What the threshold was measured to do, shown on each partnership's processing record."""

    threshold: float
    impostor_pairs: int
    false_matches: int
    genuine_pairs: int
    false_non_matches: int
    measured_on: str
    labelled_set: str

    @property
    def false_match_rate(self) -> float:
        return self.false_matches / self.impostor_pairs

    @property
    def false_non_match_rate(self) -> float:
        return self.false_non_matches / self.genuine_pairs


CALIBRATION = Calibration(
    threshold=MATCH_THRESHOLD,
    impostor_pairs=5508,
    false_matches=1,
    genuine_pairs=270,
    false_non_matches=2,
    measured_on="2026-12-06",
    labelled_set="18 people, 6 CCTV-like variants each (bench/faces_accuracy.py)",
)
# face_recognition's out-of-the-box tolerance, as a similarity, kept only for comparison in benchmarks.
LIBRARY_DEFAULT_THRESHOLD = 1.0 - 0.6

ENCODING_SIZE = 128
# Detection runs on a copy whose longer side is at most this many pixels (a 12 MP still is about 4000 px):
# HOG's cost grows with the pixel count, and faces in a still large enough to identify stay well above the
# detector's 80 px window after the downscale. Encodings are taken from the full-resolution image.
DETECT_MAX_SIDE = 1600
# Images at most this size are upsampled once for detection, so the small faces of a CCTV frame are found.
UPSAMPLE_MAX_SIDE = 1000
# Galleries larger than this are searched through a FAISS index instead of exact numpy.
FAISS_MIN_GALLERY = 50_000
# Images larger than this many pixels are refused before decoding (decompression bombs).
MAX_PIXELS = 60_000_000

Vector = NDArray[np.float32]


class UnreadableImage(ValueError):
    """The bytes are not an image this engine can read."""


@dataclass(frozen=True)
class Face:
    """One face in an image: its box (top, right, bottom, left) in the image's pixels, and its encoding."""

    box: tuple[int, int, int, int]
    encoding: Vector

    @property
    def area(self) -> int:
        top, right, bottom, left = self.box
        return max(0, bottom - top) * max(0, right - left)


def load_image(source: str | Path | bytes | BinaryIO) -> NDArray[np.uint8]:
    """An upright RGB array from a path, bytes or an open file; :class:`UnreadableImage` if not one."""
    try:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        with Image.open(source) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UnreadableImage("the image is too large")
            upright = ImageOps.exif_transpose(img) or img
            return np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UnreadableImage):
            raise
        raise UnreadableImage(str(exc) or "not an image") from exc


def detect(image: NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
    """Face boxes (top, right, bottom, left) in the image's own pixels, found by the HOG detector."""
    height, width = image.shape[:2]
    longest = max(height, width)
    scale = 1.0
    small = image
    if longest > DETECT_MAX_SIDE:
        scale = DETECT_MAX_SIDE / longest
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR), dtype=np.uint8)
    upsample = 1 if longest <= UPSAMPLE_MAX_SIDE else 0
    boxes = face_recognition.face_locations(small, number_of_times_to_upsample=upsample, model="hog")
    found = []
    for top, right, bottom, left in boxes:
        box = (
            max(0, round(top / scale)),
            min(width, round(right / scale)),
            min(height, round(bottom / scale)),
            max(0, round(left / scale)),
        )
        found.append(box)
    return found


def encode(image: NDArray[np.uint8], boxes: list[tuple[int, int, int, int]]) -> list[Vector]:
    """One 128-d encoding per box, from the full-resolution image."""
    if not boxes:
        return []
    vectors = face_recognition.face_encodings(image, known_face_locations=boxes, num_jitters=1, model="small")
    return [np.asarray(v, dtype=np.float32) for v in vectors]


def faces_in(image: NDArray[np.uint8]) -> list[Face]:
    """Every face in an image, largest first."""
    boxes = detect(image)
    faces = [Face(box=b, encoding=v) for b, v in zip(boxes, encode(image, boxes), strict=True)]
    return sorted(faces, key=lambda f: f.area, reverse=True)


def main_face(image: NDArray[np.uint8]) -> Face | None:
    """The largest face in an image (the subject of a still or a gallery photo), or None."""
    faces = faces_in(image)
    return faces[0] if faces else None


def similarity(a: Vector, b: Vector) -> float:
    """1 - Euclidean distance between two encodings, floored at 0."""
    distance = float(np.linalg.norm(np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)))
    return max(0.0, 1.0 - distance)


def same_person(score: float, *, threshold: float = MATCH_THRESHOLD) -> bool:
    return score >= threshold


def to_bytes(vector: Vector) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> Vector:
    vector = np.frombuffer(bytes(data), dtype="<f4")
    if vector.shape != (ENCODING_SIZE,):
        raise ValueError("an encoding has 128 float32 values")
    return vector.astype(np.float32)


@dataclass(frozen=True)
class Hit:
    key: int
    similarity: float


class Gallery:
    """Encodings searched for the nearest faces: exact numpy for small galleries, FAISS for large ones.

    Distances are squared Euclidean in both cases, so the two give the same similarities; FAISS uses an
    inverted-file index (IVF, flat lists) once the gallery has :data:`FAISS_MIN_GALLERY` faces.
    """

    def __init__(self, keys: list[int] | NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, ENCODING_SIZE)
        if len(self.keys) != len(self.vectors):
            raise ValueError("one key per encoding")
        self.index: Any = None
        self.norms: NDArray[np.float32] = np.einsum("ij,ij->i", self.vectors, self.vectors)
        if len(self.keys) >= FAISS_MIN_GALLERY:
            self.index = build_ivf_index(self.vectors)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def method(self) -> str:
        return "faiss-ivf" if self.index is not None else "exact"

    def nearest(self, probe: Vector, k: int = 5) -> list[Hit]:
        """The k nearest faces, most similar first, whatever their similarity."""
        if len(self.keys) == 0:
            return []
        k = min(k, len(self.keys))
        query = np.asarray(probe, dtype=np.float32).reshape(1, ENCODING_SIZE)
        if self.index is not None:
            squared, rows = self.index.search(query, k)
            pairs = [(int(r), float(d)) for r, d in zip(rows[0], squared[0], strict=True) if r >= 0]
        else:
            squared_all = exact_squared_distances(self.vectors, query[0], norms=self.norms)
            top = np.argpartition(squared_all, k - 1)[:k]
            top = top[np.argsort(squared_all[top], kind="stable")]
            pairs = [(int(r), float(squared_all[r])) for r in top]
        return [Hit(key=int(self.keys[row]), similarity=_from_squared(d)) for row, d in pairs]

    def candidates(self, probe: Vector, k: int = 5, *, threshold: float = MATCH_THRESHOLD) -> list[Hit]:
        """The k nearest faces at or above the threshold: below it nothing is a candidate."""
        return [hit for hit in self.nearest(probe, k) if hit.similarity >= threshold]


def _from_squared(squared: float) -> float:
    return max(0.0, 1.0 - float(np.sqrt(max(squared, 0.0))))


def exact_squared_distances(
    vectors: NDArray[np.float32], probe: Vector, *, norms: NDArray[np.float32] | None = None
) -> NDArray[np.float32]:
    """Squared Euclidean distance from the probe to every row, as one matrix-vector product."""
    if norms is None:
        norms = np.asarray(np.einsum("ij,ij->i", vectors, vectors), dtype=np.float32)
    result = norms - np.float32(2.0) * (vectors @ probe) + np.float32(probe @ probe)
    return np.asarray(result, dtype=np.float32)


def ivf_lists(count: int) -> int:
    """Inverted lists for a gallery of this size: about 4 * sqrt(n), with at least 39 faces to train each."""
    return max(1, min(int(4 * np.sqrt(count)), count // 39))


def build_ivf_index(vectors: NDArray[np.float32], *, nprobe: int | None = None) -> Any:
    """A trained FAISS IVF-flat index (squared L2) over the vectors, rows numbered 0..n-1."""
    import faiss

    count = len(vectors)
    nlist = ivf_lists(count)
    quantizer = faiss.IndexFlatL2(ENCODING_SIZE)
    index = faiss.IndexIVFFlat(quantizer, ENCODING_SIZE, nlist, faiss.METRIC_L2)
    sample = vectors
    if count > nlist * 64:
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(count, nlist * 64, replace=False)]
    index.train(sample)
    index.add(vectors)
    index.nprobe = nprobe if nprobe is not None else max(1, nlist // 8)
    return index

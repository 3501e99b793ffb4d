"""Benchmark: face encoding throughput per core, for a 12-megapixel still and a 640x480 frame.

    uv run python bench/faces_speed.py [--repeat 5]

Each image holds one real face (a crop from tests/faces/data, enlarged to the size a face has in such a
picture: 600 px in a 4000x3000 still, 120 px in a 640x480 frame) on a textured background. One process,
one thread (dlib's HOG detector and ResNet encoder run on one core here): the time to find and encode every
face in the image (engine.faces_in: detection on a copy at most 1,600 px long, upsampled once for images
at most 1,000 px; the encoding from the full-resolution image), reported as images per second per core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402  (after the thread limits)
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shopwatch.faces import engine, labelled  # noqa: E402


def scene(width: int, height: int, face_side: int, crop: Path) -> np.ndarray:
    rng = np.random.default_rng(7)
    background = rng.integers(60, 200, size=(height // 8, width // 8, 3), dtype=np.uint8)
    canvas = Image.fromarray(background).resize((width, height), Image.Resampling.BILINEAR)
    with Image.open(crop) as img:
        # The crop is twice the face's side (a half-face margin all round).
        canvas.paste(img.convert("RGB").resize((face_side * 2, face_side * 2)), (width // 3, height // 4))
    return np.asarray(canvas, dtype=np.uint8)


def measure(name: str, image: np.ndarray, repeat: int) -> None:
    faces = engine.faces_in(image)  # warm-up, and the check that the face is found
    times = []
    for _ in range(repeat):
        started = time.process_time()
        engine.faces_in(image)
        times.append(time.process_time() - started)
    median = statistics.median(times)
    height, width = image.shape[:2]
    print(
        f"| {name} | {width}x{height} | {len(faces)} | {median * 1000:.0f} ms | {1 / median:.2f} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    crop = labelled.crops()[0]
    print("| image | pixels | faces found | CPU time per image (median) | images/s per core |")
    print("| --- | --- | ---: | ---: | ---: |")
    measure("12 MP still", scene(4000, 3000, 600, crop), args.repeat)
    measure("640x480 frame", scene(640, 480, 120, crop), args.repeat)


if __name__ == "__main__":
    main()

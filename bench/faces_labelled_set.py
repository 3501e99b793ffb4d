"""How tests/faces/data was made: one crop per person from the demo photos of an npm package.

The six group photos ship in the npm package ``@vladmandic/face-api`` 1.7.15 (``demo/sample1.jpg`` ..
``demo/sample6.jpg``, MIT licence, copyright Vladimir Mandic). Fetch and unpack it with the ordinary client,
then run this script on the unpacked folder::

    npm pack @vladmandic/face-api@1.7.15 && tar xzf vladmandic-face-api-1.7.15.tgz
    uv run python bench/faces_labelled_set.py package/demo tests/faces/data

It finds every face with the app's own detector and writes a 200 px crop of each, numbered in a fixed
order, leaving out the detections listed in ``LEFT_OUT`` (checked by eye): a shoulder badge the HOG
detector takes for a face, and one face that may be the same woman as another photo's (her distance to
that face is 0.41), so that every file in the set shows a different person and the set's impostor pairs
are certain. Nothing here runs at test or benchmark time; they read the committed crops.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shopwatch.faces import engine

# (photo number, detection index in the detector's order) left out, with the reason.
LEFT_OUT = {
    (1, 3): "a shoulder badge, not a face",
    (3, 2): "possibly the same woman as photo 1's face 1",
}
CROP_SIDE = 200
MARGIN = 0.5


def main(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    number = 0
    for photo in range(1, 7):
        path = source / f"sample{photo}.jpg"
        image = engine.load_image(path)
        boxes = engine.detect(image)
        for index, (top, right, bottom, left) in enumerate(boxes):
            if (photo, index) in LEFT_OUT:
                continue
            number += 1
            side = max(right - left, bottom - top)
            pad = int(side * MARGIN)
            crop = Image.fromarray(image).crop((left - pad, top - pad, right + pad, bottom + pad))
            crop = crop.resize((CROP_SIDE, CROP_SIDE), Image.Resampling.LANCZOS)
            name = f"person{number:02d}.jpg"
            crop.save(target / name, quality=88)
            print(f"{name}\tsample{photo}.jpg\t{index}\t{top},{right},{bottom},{left}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

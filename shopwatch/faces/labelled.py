"""The labelled face set: the committed crops in tests/faces/data and their CCTV-like variants.

Every crop shows a different person (see tests/faces/data/README.md). Each is turned into
:data:`VARIANTS` deterministic variants that imitate what a still from a shop camera does to a face:
mirrored, shrunk to a small face and enlarged again, tilted and darkened, blurred and heavily
JPEG-compressed, washed out. Two variants of one crop are a genuine pair; variants of two crops are an
impostor pair. Genuine pairs from one photo are easier than two photos taken on different days, so the
false non-match rate this gives is a floor; the false-match rate is the figure the threshold is set by.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

DATA = Path(__file__).resolve().parents[2] / "tests" / "faces" / "data"


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def _small(img: Image.Image) -> Image.Image:
    width, height = img.size
    return img.resize((width // 2, height // 2), Image.Resampling.BILINEAR).resize(
        (width, height), Image.Resampling.BILINEAR
    )


def _tilted_dark(img: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(
        img.rotate(10, resample=Image.Resampling.BICUBIC, fillcolor=(40, 40, 40))
    ).enhance(0.6)


def _blurred(img: Image.Image) -> Image.Image:
    return _jpeg(img.filter(ImageFilter.GaussianBlur(1.5)), 20)


def _washed_out(img: Image.Image) -> Image.Image:
    width, height = img.size
    shifted = img.crop((8, 4, width, height)).resize((width, height), Image.Resampling.BILINEAR)
    return ImageEnhance.Brightness(ImageEnhance.Contrast(shifted).enhance(0.6)).enhance(1.25)


VARIANTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "original": lambda img: img,
    "mirrored": ImageOps.mirror,
    "small": _small,
    "tilted-dark": _tilted_dark,
    "blurred-jpeg": _blurred,
    "washed-out": _washed_out,
}


@dataclass(frozen=True)
class Sample:
    person: str
    variant: str
    image: Image.Image


def crops(folder: Path = DATA) -> list[Path]:
    return sorted(folder.glob("person*.jpg"))


def samples(folder: Path = DATA) -> Iterator[Sample]:
    for path in crops(folder):
        with Image.open(path) as img:
            base = img.convert("RGB")
        for name, make in VARIANTS.items():
            yield Sample(person=path.stem, variant=name, image=make(base))

"""The face engine on real faces: detection, encodings, similarity, the threshold and gallery search."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from shopwatch.faces import engine, labelled


def crop(n: int) -> Image.Image:
    with Image.open(labelled.DATA / f"person{n:02d}.jpg") as img:
        return img.convert("RGB")


def encoding_of(img: Image.Image) -> engine.Vector:
    face = engine.main_face(np.asarray(img, dtype=np.uint8))
    assert face is not None
    return face.encoding


def test_same_person_scores_above_the_threshold_and_different_people_below() -> None:
    first = encoding_of(crop(1))
    mirrored = encoding_of(ImageOps.mirror(crop(1)))
    other = encoding_of(crop(6))
    assert first.shape == (128,)
    assert first.dtype == np.float32
    assert engine.similarity(first, first) == pytest.approx(1.0)
    assert engine.same_person(engine.similarity(first, mirrored))
    assert not engine.same_person(engine.similarity(first, other))
    assert engine.similarity(first, other) == pytest.approx(
        1 - float(np.linalg.norm(first - other)), abs=1e-5
    )


def test_a_twelve_megapixel_still_is_downscaled_for_detection_and_boxes_come_back_in_its_pixels() -> None:
    canvas = Image.new("RGB", (4000, 3000), (90, 90, 90))
    canvas.paste(crop(4).resize((900, 900)), (2500, 1200))
    image = np.asarray(canvas, dtype=np.uint8)
    faces = engine.faces_in(image)
    assert len(faces) == 1
    top, right, bottom, left = faces[0].box
    assert 2500 <= left < right <= 3400
    assert 1200 <= top < bottom <= 2100
    assert engine.same_person(engine.similarity(faces[0].encoding, encoding_of(crop(4))))


def test_an_image_without_a_face_gives_none_and_bytes_that_are_no_image_are_refused() -> None:
    assert engine.main_face(np.full((480, 640, 3), 128, dtype=np.uint8)) is None
    with pytest.raises(engine.UnreadableImage):
        engine.load_image(b"not an image at all")


def test_encodings_round_trip_through_bytes() -> None:
    vector = (np.arange(128, dtype=np.float32) / 128).astype(np.float32)
    assert np.array_equal(engine.from_bytes(engine.to_bytes(vector)), vector)
    with pytest.raises(ValueError, match="128 float32"):
        engine.from_bytes(b"\0" * 12)


def clustered(count: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count // 4, 128)).astype(np.float32)
    vectors = np.repeat(centres, 4, axis=0) + rng.normal(scale=0.2, size=(count, 128)).astype(np.float32)
    return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def test_small_galleries_are_searched_exactly_and_large_ones_through_faiss_with_the_same_answers() -> None:
    vectors = clustered(4000)
    keys = list(range(10_000, 14_000))
    small = engine.Gallery(keys, vectors)
    assert small.method == "exact"
    approximate = engine.build_ivf_index(vectors, nprobe=8)
    exhaustive = engine.build_ivf_index(vectors, nprobe=engine.ivf_lists(len(vectors)))
    probes = vectors[:50] + np.float32(0.01)
    for probe in probes:
        exact = [hit.key - 10_000 for hit in small.nearest(probe, 5)]
        distances, rows = exhaustive.search(probe.reshape(1, 128), 5)
        assert list(rows[0]) == exact
        # The four faces of the probe's own person are found by the approximate search too.
        assert list(approximate.search(probe.reshape(1, 128), 4)[1][0]) == exact[:4]
        assert small.nearest(probe, 1)[0].similarity == pytest.approx(
            1 - float(np.sqrt(distances[0][0])), abs=1e-4
        )


def test_the_gallery_switches_to_faiss_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "FAISS_MIN_GALLERY", 1000)
    vectors = clustered(2000)
    gallery = engine.Gallery(list(range(2000)), vectors)
    assert gallery.method == "faiss-ivf"
    assert gallery.nearest(vectors[7], 1)[0].key == 7


def test_nothing_below_the_threshold_is_a_candidate() -> None:
    first, other = encoding_of(crop(1)), encoding_of(crop(6))
    gallery = engine.Gallery([1, 6], np.stack([first, other]))
    probe = encoding_of(ImageOps.mirror(crop(1)))
    assert [h.key for h in gallery.nearest(probe, 5)] == [1, 6]
    assert [h.key for h in gallery.candidates(probe, 5)] == [1]
    assert all(h.similarity >= engine.MATCH_THRESHOLD for h in gallery.candidates(probe, 5))

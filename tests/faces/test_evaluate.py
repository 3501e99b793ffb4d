"""The pinned contract: `shopwatch faces evaluate PAIRS.csv --images DIR --out OUT.csv`."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image, ImageOps

from shopwatch.faces import labelled
from shopwatch.faces.evaluation import evaluate_pairs


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    (folder / "a").mkdir(parents=True)
    shutil.copy(labelled.DATA / "person01.jpg", folder / "a" / "one.jpg")
    shutil.copy(labelled.DATA / "person06.jpg", folder / "six.jpg")
    with Image.open(labelled.DATA / "person01.jpg") as img:
        ImageOps.mirror(img).save(folder / "one-mirrored.png")
    Image.new("RGB", (320, 240), (120, 130, 140)).save(folder / "wall.jpg")
    (folder / "notes.jpg").write_bytes(b"this is not a picture")
    return folder


def run(tmp_path: Path, images: Path, text: str) -> list[dict[str, str]]:
    pairs, out = tmp_path / "pairs.csv", tmp_path / "out.csv"
    pairs.write_text(text, encoding="utf-8")
    call_command("faces_evaluate", str(pairs), images=str(images), out=str(out))
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["file_x", "file_y", "similarity", "same_person"]
        return list(reader)


def test_one_row_per_pair_in_order_with_similarity_and_decision(tmp_path: Path, images: Path) -> None:
    rows = run(
        tmp_path,
        images,
        "id,file_x,label,file_y\n"
        "1,a/one.jpg,same,one-mirrored.png\n"
        "2,a/one.jpg,different,six.jpg\n"
        "3,wall.jpg,no face,a/one.jpg\n"
        "4,missing.jpg,missing,six.jpg\n"
        "5,notes.jpg,unreadable,six.jpg\n"
        "6,../pairs.csv,outside,six.jpg\n"
        "7,six.jpg,same file,six.jpg\n",
    )
    assert [(r["file_x"], r["file_y"]) for r in rows] == [
        ("a/one.jpg", "one-mirrored.png"),
        ("a/one.jpg", "six.jpg"),
        ("wall.jpg", "a/one.jpg"),
        ("missing.jpg", "six.jpg"),
        ("notes.jpg", "six.jpg"),
        ("../pairs.csv", "six.jpg"),
        ("six.jpg", "six.jpg"),
    ]
    assert rows[0]["same_person"] == "true"
    assert 0.55 <= float(rows[0]["similarity"]) <= 1
    assert rows[1]["same_person"] == "false"
    assert 0 <= float(rows[1]["similarity"]) < 0.55
    for blank in rows[2:6]:
        assert blank["similarity"] == ""
        assert blank["same_person"] == ""
    assert rows[6] == {
        "file_x": "six.jpg",
        "file_y": "six.jpg",
        "similarity": "1.0000",
        "same_person": "true",
    }


def test_a_pairs_file_without_the_columns_is_refused(tmp_path: Path, images: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("left,right\na/one.jpg,six.jpg\n", encoding="utf-8")
    with pytest.raises(CommandError, match="file_x and file_y"):
        call_command("faces_evaluate", str(pairs), images=str(images), out=str(tmp_path / "out.csv"))


def test_the_shopwatch_command_maps_faces_evaluate(tmp_path: Path, images: Path) -> None:
    pairs, out = tmp_path / "pairs.csv", tmp_path / "out.csv"
    pairs.write_text("file_x,file_y\nsix.jpg,a/one.jpg\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from shopwatch.cli import main; main()",
            "faces",
            "evaluate",
            str(pairs),
            "--images",
            str(images),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file_x,file_y,similarity,same_person"
    assert lines[1].startswith("six.jpg,a/one.jpg,0.")
    assert lines[1].endswith(",false")


def test_files_are_encoded_once_on_several_processes_with_the_same_answers(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    names = [f"person{n:02d}.jpg" for n in (1, 2, 3, 4, 5, 6)]
    for name in names:
        shutil.copy(labelled.DATA / name, folder / name)
    pairs = [(a, b) for a in names for b in names if a < b]
    one = list(evaluate_pairs(pairs, images=folder, workers=1))
    two = list(evaluate_pairs(pairs, images=folder, workers=2))
    assert [r.row() for r in one] == [r.row() for r in two]
    assert len(two) == 15
    assert all(r.same_person is False for r in two)

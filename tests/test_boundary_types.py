"""Ids are parsed at the edge (ARCHITECTURE.md, "The shape of the house"): URL converters (``<int:pk>``), the
API's ``Id``/``StrictId`` (1 to 2^63-1, others answer 422 naming the field), form fields and
``core.ids.parse_id``. Below the edge, services and selectors take a record id as an ``int``, never as an
``object`` or ``Any`` they then parse themselves (``int(str(x))`` deep inside answered a bad id differently in
each app). This reads every function signature under shopwatch/ from the source and fails on a parameter
named ``*_id``, ``*_ids``, ``id`` or ``pk`` that is unannotated or typed with ``object`` or ``Any``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "shopwatch"
LOOSE = {"object", "Any"}


def _is_id(name: str) -> bool:
    return name in ("id", "pk") or name.endswith(("_id", "_ids"))


def _loose(annotation: ast.expr | None) -> bool:
    """Whether an annotation is missing or mentions ``object`` or ``Any`` anywhere (``object | None`` too)."""
    if annotation is None:
        return True
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id in LOOSE:
            return True
        if isinstance(node, ast.Attribute) and node.attr in LOOSE:
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
            try:
                if _loose(ast.parse(node.value, mode="eval").body):
                    return True
            except SyntaxError:
                continue
    return False


def loose_id_parameters(root: Path = ROOT) -> list[str]:
    """``path:line function(parameter: annotation)`` for every id parameter typed loosely under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                if _is_id(arg.arg) and _loose(arg.annotation):
                    shown = ast.unparse(arg.annotation) if arg.annotation is not None else "unannotated"
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    found.append(f"{where} {node.name}({arg.arg}: {shown})")
    return found


def test_no_service_or_selector_takes_an_id_typed_object_or_any() -> None:
    loose = loose_id_parameters()
    assert not loose, (
        "take an int (parse it at the edge: <int:...>, the API's Id, a form field, core.ids.parse_id):\n"
        + "\n".join(loose)
    )


def test_the_check_finds_a_loosely_typed_id(tmp_path: Path) -> None:
    app = tmp_path / "shopwatch" / "someapp"
    app.mkdir(parents=True)
    (app / "selectors.py").write_text(
        "from typing import Any\n"
        "def thing_get(*, viewer: object, thing_id: object) -> None: ...\n"
        "def other_get(*, viewer: object, other_id: 'Any | None' = None) -> None: ...\n"
        "def fine_get(*, viewer: object, fine_id: int, ids: list[int]) -> None: ...\n"
        "def view(request: object, pk) -> None: ...\n",
        encoding="utf-8",
    )
    found = loose_id_parameters(tmp_path / "shopwatch")
    assert [line.split(" ", 1)[1] for line in found] == [
        "thing_get(thing_id: object)",
        "other_get(other_id: 'Any | None')",
        "view(pk: unannotated)",
    ]

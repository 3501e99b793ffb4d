"""Ids are parsed at the edge (ARCHITECTURE.md, "The shape of the house"): URL converters (``<int:pk>``), the
API's ``Id``/``StrictId`` (1 to 2^63-1, others answer 422 naming the field), form fields and
``core.ids.parse_id``. Below the edge, services and selectors take a record id as an ``int``, never as an
``object`` or ``Any`` they then parse themselves (``int(str(x))`` deep inside answered a bad id differently in
each app). This reads every function signature under shopwatch/ from the source and fails on a parameter
named ``*_id``, ``*_ids``, ``id`` or ``pk`` that is unannotated or typed with ``object`` or ``Any``, and, in
services and selectors, on one that takes an id as either an ``int`` or a ``str`` (``int | str``: a string of
digits parsed inside). Keys that are strings (an upload's id, a stream's last event id) stay ``str``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "shopwatch"
LOOSE = {"object", "Any"}


def _is_id(name: str) -> bool:
    return name in ("id", "pk") or name.endswith(("_id", "_ids"))


def _names(annotation: ast.expr) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
            try:
                found |= _names(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                continue
    return found


def _is_service_or_selector(path: Path) -> bool:
    return bool({"services", "selectors"} & {path.stem, path.parent.name})


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
                mixed = (
                    arg.annotation is not None
                    and _is_service_or_selector(path)
                    and {"int", "str"} <= _names(arg.annotation)
                )
                if _is_id(arg.arg) and (_loose(arg.annotation) or mixed):
                    shown = ast.unparse(arg.annotation) if arg.annotation is not None else "unannotated"
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    found.append(f"{where} {node.name}({arg.arg}: {shown})")
    return found


def test_no_service_or_selector_takes_an_id_typed_object_or_any_or_int_or_str() -> None:
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
        "def view(request: object, pk) -> None: ...\n"
        "def store_add(*, store_id: int | str | None) -> None: ...\n",
        encoding="utf-8",
    )
    (app / "audit.py").write_text("def audit(*, object_id: int | str) -> None: ...\n", encoding="utf-8")
    found = loose_id_parameters(tmp_path / "shopwatch")
    assert [line.split(" ", 1)[1] for line in found] == [
        "thing_get(thing_id: object)",
        "other_get(other_id: 'Any | None')",
        "view(pk: unannotated)",
        "store_add(store_id: int | str | None)",
    ]

"""The import graph between apps: each app imports only apps in lower layers (ARCHITECTURE.md, "Layers").

The graph is drawn from the source (every ``import shopwatch.X...`` and ``from shopwatch.X... import``
statement, at any depth, in every module under shopwatch/), so an import hidden inside a function to dodge a
cycle counts as well. A lower app that must react to something a higher app owns does it through an explicit
registry the higher app fills in its AppConfig.ready(): the incident-filed handlers (reporting.filed), the
sections of a record's page (core.sections: reporting.pages, subjects.pages) and the shutdown hooks
(core.shutdown).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "shopwatch"

# Lowest first. An app may import apps in the layers below its own, never its own layer's other apps or above.
LAYERS: list[set[str]] = [
    {"core"},
    {"subjects"},
    {"reporting"},
    {"evidence", "alerts", "opendata"},
    {"uploads", "intelligence"},
    # The capabilities built on all of the above: police work, linking records, face search, crime-prevention
    # assessments, property marking and victim-care navigation.
    {"policing", "linking", "faces", "assessments", "marking", "navigator"},
    {"insights"},
    {"demo"},
]
# Modules directly under shopwatch/ assemble the project (settings, URLs, the API, the command, ASGI/WSGI):
# they may import every app, and no app imports them.
PROJECT = "(project)"

RANK = {app: i for i, layer in enumerate(LAYERS) for app in layer}


def _app_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return PROJECT if len(parts) == 1 else parts[0]


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "shopwatch":
                found += [(node.lineno, f"shopwatch.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("shopwatch.")]


def import_graph() -> list[tuple[str, int, str, str, str]]:
    """(module path, line, imported module, importing app, imported app) for every import between apps."""
    edges = []
    for path in sorted(ROOT.rglob("*.py")):
        app = _app_of(path)
        for line, name in _imported(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            target = name.split(".")[1]
            if (ROOT / target).is_dir() and target != app:
                edges.append((str(path.relative_to(ROOT.parent)), line, name, app, target))
            elif not (ROOT / target).is_dir() and app != PROJECT:
                edges.append((str(path.relative_to(ROOT.parent)), line, name, app, PROJECT))
    return edges


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    missing = apps - set(RANK)
    assert not missing, f"add these apps to LAYERS (and to ARCHITECTURE.md): {sorted(missing)}"


def test_no_app_imports_an_app_above_it_or_beside_it() -> None:
    upward = []
    for module, line, name, app, target in import_graph():
        if app == PROJECT:
            continue
        allowed = target != PROJECT and RANK.get(target, len(LAYERS)) < RANK.get(app, -1)
        if not allowed:
            upward.append(f"{module}:{line} ({app}) imports {name} ({target})")
    assert not upward, "imports against the layering (core < subjects < ...):\n" + "\n".join(upward)

"""The package's layers as the code draws them: imports go down, and nothing imports in a circle.

A newcomer should be able to trust the folders: a domain module that reaches for Flask or SQL, a
store module that calls the web edge, or two modules that need each other would each make the tree
lie about its architecture. ruff holds the direction (a ruff.toml per layer); these tests prove each
ban fires and walk the whole import graph for cycles, lazy imports inside functions included.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT_ROOT / "src" / "kelisim"
RUFF = Path(sys.executable).with_name("ruff")

# (layer, an import it must refuse)
FORBIDDEN = [
    ("domain", "from flask import Flask"),
    ("domain", "import flask_wtf"),
    ("domain", "from sqlalchemy import select"),
    ("domain", "import alembic"),
    ("domain", "from kelisim.store import ConsentStore"),
    ("domain", "from kelisim.settings import Settings"),
    ("domain", "from kelisim.web.app import create_app"),
    ("store", "from flask import request"),
    ("store", "from kelisim.web.api import consents"),
    ("store", "from kelisim.services.stats import ConsentStats"),
    ("store", "import kelisim.cli.main"),
    ("services", "from flask import current_app"),
    ("services", "from kelisim.web.admin.shell import services"),
    ("services", "from kelisim.cli import main"),
    ("web", "from sqlalchemy import select"),
    ("web", "from sqlalchemy import text"),
    ("web", "from kelisim.store.schema import consent_events"),
    ("web", "from kelisim.cli.production import serve"),
    ("scanner", "from kelisim.store import ConsentStore"),
    ("scanner", "from kelisim.web.app import create_app"),
    ("scanner", "from sqlalchemy import create_engine"),
    ("demo", "from kelisim.cli.main import main"),
]
# (layer, an import it may make): the bans must not be blanket ones.
ALLOWED = [
    ("domain", "from kelisim.domain.consent import decide"),
    ("store", "from kelisim.domain.catalogue import Catalogue"),
    ("services", "from kelisim.store import ConsentStore"),
    ("web", "from flask import Flask"),
    ("web", "from kelisim.services.stats import ConsentStats"),
    ("scanner", "from kelisim.domain.catalogue import load"),
    ("demo", "from kelisim.web.app import create_app"),
]


def _ruff(layer: str, code: str) -> subprocess.CompletedProcess[str]:
    probe = PACKAGE / layer / "_layer_probe.py"  # named, never written: ruff reads stdin
    return subprocess.run(
        [
            str(RUFF),
            "check",
            "--no-cache",
            "--select",
            "TID251",
            "--stdin-filename",
            str(probe),
            "-",
        ],
        input=f"{code}\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(("layer", "code"), FORBIDDEN)
def test_ruff_refuses_an_import_from_above(layer: str, code: str) -> None:
    done = _ruff(layer, code)
    assert done.returncode == 1, f"{layer} accepted {code!r}:\n{done.stdout}{done.stderr}"
    assert "TID251" in done.stdout


@pytest.mark.parametrize(("layer", "code"), ALLOWED)
def test_ruff_lets_an_import_from_below_through(layer: str, code: str) -> None:
    done = _ruff(layer, code)
    assert done.returncode == 0, f"{layer} refused {code!r}:\n{done.stdout}{done.stderr}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, set[str]]:
    """Module → the kelisim modules it imports at run time (TYPE_CHECKING blocks left out)."""
    modules = {
        _module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and _is_type_checking(node)
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_in_a_circle() -> None:
    graph = import_graph()
    assert len(graph) > 100, "the walk found too few modules to mean anything"
    assert _cycles(graph) == []


def test_the_walk_would_see_a_circle() -> None:
    graph = import_graph()
    graph["kelisim.store.counting"] = {*graph["kelisim.store.counting"], "kelisim.services.stats"}
    assert any("kelisim.services.stats" in cycle for cycle in _cycles(graph))

"""The layers of ARCHITECTURE.md hold: imports run one way, no cycles, no loose modules.

pipelines → assets → indicators (land → store, export → effects → compute, ingest, display)
→ schemas
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "indicators", "assets", "pipelines")
LAYERS: list[set[str]] = [
    {"schemas"},
    {"indicators", "indicators.display", "indicators.ingest", "indicators.compute"},
    {"indicators.effects"},
    {"indicators.store", "indicators.export"},
    {"indicators.land", "indicators.atlas"},
    {"assets"},
    {"pipelines"},
]
"""Lowest first. A unit imports units of lower layers only, never a neighbour on its own
layer; inside one unit every import is allowed."""
LAZY_IMPORTS_ALLOWED = {"pipelines.cli", "pipelines.land_cli"}
"""The command line imports heavy modules inside its commands to start quickly."""


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of our packages by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, known: set[str]) -> Iterator[tuple[str, int, bool]]:
    """(imported module of ours, line, inside a function) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                for a in node.names
            ]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES:
                yield name, node.lineno, id(node) in local


def unit_of(module: str) -> str:
    return max(
        (unit for layer in LAYERS for unit in layer if (module + ".").startswith(unit + ".")),
        key=len,
    )


def rank(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def violations(root: Path = ROOT) -> list[str]:
    """Every import against the direction of the layers."""
    found = modules(root)
    out = []
    for name, path in found.items():
        here = unit_of(name)
        for target, line, _ in imports(path, set(found)):
            there = unit_of(target)
            if there != here and rank(there) >= rank(here):
                out.append(f"{path.relative_to(root)}:{line}: {name} ({here}) imports {target}")
    return out


def cycles(root: Path = ROOT) -> list[list[str]]:
    """Strongly connected groups of modules (function-local imports included)."""
    found = modules(root)
    graph = {
        name: {target for target, _, _ in imports(path, set(found)) if target in found}
        for name, path in found.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_imports_follow_the_layers():
    assert violations() == []


def test_no_import_cycles():
    assert cycles() == []


def test_no_function_local_imports_of_our_modules_outside_the_command_line():
    found = modules()
    local = [
        f"{path.relative_to(ROOT)}:{line}: {target}"
        for name, path in found.items()
        if name not in LAZY_IMPORTS_ALLOWED
        for target, line, inside in imports(path, set(found))
        if inside
    ]
    assert local == []


def test_every_library_module_lives_in_a_stage_package():
    loose = sorted(p.name for p in (ROOT / "indicators").glob("*.py") if p.name != "__init__.py")
    assert loose == []
    stages = {p.name for p in (ROOT / "indicators").iterdir() if (p / "__init__.py").exists()}
    assert {f"indicators.{s}" for s in stages} == set().union(*LAYERS[1:5]) - {"indicators"}


@pytest.fixture
def broken_tree(tmp_path: Path) -> Path:
    """A copy of the package layout with an upward import and a cycle planted."""
    files = {
        "schemas/__init__.py": "",
        "schemas/a.py": "from indicators.compute import b\n",
        "indicators/__init__.py": "",
        "indicators/compute/__init__.py": "",
        "indicators/compute/b.py": "def f():\n    from schemas import a\n",
        "assets/__init__.py": "",
        "pipelines/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_checks_find_an_upward_import_and_a_cycle(broken_tree):
    [found] = violations(broken_tree)
    assert "schemas.a (schemas) imports indicators.compute.b" in found
    assert cycles(broken_tree) == [["indicators.compute.b", "schemas.a"]]


HEAVY_MODULES = ("matplotlib", "scipy.stats")
"""Imported by the steps that draw or estimate, not at start-up: together they took 1.5 s of
the 4.8 s the Dagster definitions needed to import."""


def test_the_definitions_import_no_charting_or_statistics_library():
    code = (
        "import sys, pipelines.definitions; "
        f"print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"

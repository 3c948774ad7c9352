"""course/ is one package per wing, and imports flow one way between them, with no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course"
WINGS = ("lab", "pricing", "lessons", "grading", "exam")
TOP_LEVEL = {"__init__.py", "cli.py", "facts.py", "facts.json", "nbval_sanitize.cfg"}

# What each part of course/ may import besides itself. `facts` is for everyone; `cli` for no one.
ALLOWED = {
    "top": {"facts"},
    "facts": set(),
    "lab": {"facts"},
    "pricing": {"facts", "lab"},
    "lessons": {"facts", "lab", "pricing"},
    "grading": {"facts", "lab", "pricing", "lessons"},
    "exam": {"facts", "lab", "pricing", "lessons"},
    "cli": {"facts", *WINGS},
}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = ("course", *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def lazy_names(path: Path, name: str) -> dict[str, str]:
    """A package's names loaded on first use (its `_PUBLIC` table): name -> defining module."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_PUBLIC":
            table = ast.literal_eval(node.value)
            return {f"{name}.{k}": f"{name}.{v}" for k, v in table.items()}
    return {}


def imports(path: Path, name: str, known: set[str], lazy: dict[str, str]) -> set[str]:
    """Every course module `path` imports, at any depth (functions and TYPE_CHECKING too).

    A name a package loads lazily counts as an import of the module that defines it, and so
    does the plain package (`import course.lab` then `course.lab.start()`).
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [lazy.get(t, t if t in known else base) for t in targets]
        else:
            continue
        for target in targets:
            targets += [m for n, m in lazy.items() if n.rpartition(".")[0] == target]
        found.update(t for t in targets if t in known and t != name)
    return found


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    mods = modules(root)
    lazy = {}
    for name, path in mods.items():
        if path.name == "__init__.py":
            lazy.update(lazy_names(path, name))
    return {name: imports(path, name, set(mods), lazy) for name, path in mods.items()}


def part(module: str) -> str:
    """Which wing a module belongs to (or top, facts, cli)."""
    pieces = module.split(".")
    if len(pieces) == 1:
        return "top"
    return pieces[1] if pieces[1] in (*WINGS, "facts", "cli") else "top"


def against_direction(edges: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} imports {b}"
        for a, targets in edges.items()
        for b in targets
        if part(b) != part(a) and part(b) not in ALLOWED[part(a)]
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle once, found by depth-first search."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def test_top_level_holds_only_the_cli_and_the_facts():
    files = {p.name for p in PACKAGE.iterdir() if p.is_file()}
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert files <= TOP_LEVEL, files - TOP_LEVEL
    assert folders <= set(WINGS), folders - set(WINGS)


@pytest.mark.parametrize("wing", [w for w in WINGS if (PACKAGE / w).is_dir()])
def test_each_wing_says_what_it_is_and_lists_its_public_names(wing):
    doc = ast.get_docstring(ast.parse((PACKAGE / wing / "__init__.py").read_text()))
    assert doc and "Public names" in doc, f"course/{wing}/__init__.py needs a docstring"


def test_imports_flow_one_way_between_wings():
    assert against_direction(graph()) == []


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_walk_sees_cycles_and_wrong_directions(tmp_path):
    """The checks above can fail: a small package with both faults is caught."""
    root = tmp_path / "course"
    for folder in ("lab", "lessons"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "lab" / "runtime.py").write_text("from course.lab import logs\n")
    (root / "lab" / "logs.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from course.lab.runtime import X\n"
    )
    (root / "lab" / "worker.py").write_text("def f():\n    from course.lessons import map\n")
    (root / "lessons" / "map.py").write_text("from ..lab import runtime\n")
    (root / "lab" / "__init__.py").write_text('_PUBLIC = {"start": "local"}\n')
    (root / "lab" / "local.py").write_text("from course.lab import triggers\n")
    (root / "lab" / "triggers.py").write_text("def f():\n    import course.lab\n")
    edges = graph(root)
    assert cycles(edges) == [
        ["course.lab.local", "course.lab.triggers", "course.lab.local"],
        ["course.lab.logs", "course.lab.runtime", "course.lab.logs"],
    ]
    assert against_direction(edges) == ["course.lab.worker imports course.lessons.map"]
    assert "course.lab.runtime" in edges["course.lessons.map"]

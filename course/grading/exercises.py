"""Exercise notebooks, generated from the solutions (the single source).

`solutions/NN_topic_exercises.ipynb` holds each question with its solution; `build` writes
`exercises/NN_topic_exercises.ipynb` from it. Cells tagged `solution` become a stub that
fails clearly (a `%%handler` cell keeps its first line, above a handler that fails clearly);
in other code cells, lines from a `# solution` marker on are cut. Cell ids
stay the same, so the grader can match each check cell with the solution's.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.lessons import notebooks

SOLUTION_TAG = "solution"
CHECK_TAG = "check"
# The last cell of an exercise notebook, which checks the saved file from inside it: kept in
# exercises/, never run by the grader (course.grading.self_check).
SELF_CHECK_TAG = "self-check"
MARKER = "# solution"
SOURCE_DIR = "solutions"
TARGET_DIR = "exercises"
PATTERN = "*_exercises.ipynb"
QUESTION = re.compile(r"^#+\s*(Q\d+)\b")
META_KEY = "lambda_course"
HANDLER_MAGIC = "%%handler"


def question_of(cells: list, index: int) -> str | None:
    """The label ('Q1', ...) of the nearest `### Q1.` heading above cell `index`, if any."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            found = QUESTION.match(cell.source.lstrip())
            if found:
                return found.group(1)
    return None


def stub(question: str | None, magic: str = "") -> str:
    """The code a learner finds in place of a cell tagged `solution`.

    A `%%handler NAME` cell keeps its first line and gets a handler that fails clearly, so
    the learner writes ordinary Python below it and running the cell deploys their function.
    """
    who = f"{question}: write" if question else "Write"
    if magic:
        return (
            f"{magic}\n"
            "# Your code here: write the function's module, then run the cell to deploy it.\n"
            "def handler(event, context):\n"
            f'    raise NotImplementedError("{who} your handler in this cell.")'
        )
    return (
        "# Your code here: replace the line below with your solution, then run the cell.\n"
        f'raise NotImplementedError("{who} your solution in this cell.")'
    )


def handler_magic_line(source: str) -> str:
    """The `%%handler ...` first line of a cell, or '' when the cell is plain Python."""
    first = source.lstrip().split("\n", 1)[0]
    return first.rstrip() if first.startswith(HANDLER_MAGIC) else ""


def is_solution_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether a code cell holds solution code (a `solution` tag or a `# solution` line)."""
    tags = cell.metadata.get("tags", [])
    lines = cell.source.splitlines()
    return SOLUTION_TAG in tags or any(line.strip() == MARKER for line in lines)


def _exercise_source(cell: nbformat.NotebookNode, question: str | None) -> str:
    magic = handler_magic_line(cell.source)
    if SOLUTION_TAG in cell.metadata.get("tags", []):
        return stub(question, magic)
    lines = cell.source.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.strip() == MARKER), None)
    if cut is None:
        return cell.source
    kept = "\n".join(lines[:cut]).rstrip()
    if magic and kept == magic:
        return stub(question, magic)
    return kept or stub(question)


def cells_digest(nb: nbformat.NotebookNode) -> str:
    """A hash of a notebook's cells: it changes whenever a learner edits or runs a cell."""
    text = json.dumps(nb.cells, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def generate(solution: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """The exercise version of a solutions notebook (`source` is its repo-relative path)."""
    nb = notebooks.clean(solution)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.source = _exercise_source(cell, question_of(nb.cells, index))
        tags = [tag for tag in cell.metadata.get("tags", []) if tag != SOLUTION_TAG]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        cell.outputs = []
        cell.execution_count = None
    nb.metadata[META_KEY] = {"generated_from": source, "cells_sha256": cells_digest(nb)}
    return nb


def learner_edited(path: Path) -> bool:
    """Whether an exercise file differs from the version `build` last wrote there."""
    try:
        nb = notebooks.read(path)
    except notebooks.NotebookFileError:
        return True
    recorded = nb.metadata.get(META_KEY, {}).get("cells_sha256")
    return recorded != cells_digest(nb)


def backup_path(path: Path) -> Path:
    """A free backup name next to `path`: NAME.bak.ipynb, then NAME.2.bak.ipynb, ..."""
    stem = path.name.removesuffix(".ipynb")
    candidate = path.with_name(f"{stem}.bak.ipynb")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem}.{number}.bak.ipynb")
        number += 1
    return candidate


def is_backup(path: Path) -> bool:
    """Whether `path` is a backup made by `build` (never graded, never committed)."""
    return path.name.endswith(".bak.ipynb")


def sources(root: Path | None = None) -> list[Path]:
    """Every solutions notebook that has an exercise version."""
    root = root or notebooks.ROOT
    return sorted(p for p in (root / SOURCE_DIR).glob(PATTERN) if not is_backup(p))


def expected(root: Path | None = None) -> dict[Path, str]:
    """The text each exercises/ file must have, generated from solutions/."""
    root = root or notebooks.ROOT
    result = {}
    for path in sources(root):
        source = path.relative_to(root).as_posix()
        result[root / TARGET_DIR / path.name] = notebooks.render(
            generate(notebooks.read(path), source)
        )
    return result


@dataclass(frozen=True)
class BuildStep:
    """What `build` did with one exercise file."""

    target: Path
    action: str  # "unchanged" | "written" | "created"
    backup: Path | None = None

    def __str__(self) -> str:
        line = f"{self.target.name}: {self.action}"
        if self.backup:
            line += (
                f". Your edited copy was saved first as {self.backup.name}: "
                "copy your answers back from it."
            )
        return line


def build(root: Path | None = None) -> list[BuildStep]:
    """Regenerate exercises/ from solutions/, backing up any file a learner has edited."""
    root = root or notebooks.ROOT
    steps = []
    (root / TARGET_DIR).mkdir(exist_ok=True)
    for target, text in expected(root).items():
        if not target.exists():
            target.write_text(text, encoding="utf-8")
            steps.append(BuildStep(target, "created"))
            continue
        if target.read_text(encoding="utf-8") == text:
            steps.append(BuildStep(target, "unchanged"))
            continue
        backup = None
        if learner_edited(target):
            backup = backup_path(target)
            backup.write_bytes(target.read_bytes())
        target.write_text(text, encoding="utf-8")
        steps.append(BuildStep(target, "written", backup))
    return steps


def stale(root: Path | None = None) -> list[str]:
    """Exercise files that are missing, out of date, or have no solution (empty when in sync)."""
    root = root or notebooks.ROOT
    wanted = expected(root)
    problems = [
        f"{target.relative_to(root)} is missing or out of date: run `lambda-course build`."
        for target, text in wanted.items()
        if not target.exists() or target.read_text(encoding="utf-8") != text
    ]
    for path in sorted((root / TARGET_DIR).glob("*.ipynb")):
        if path not in wanted and not is_backup(path):
            problems.append(f"{path.relative_to(root)} has no source in {SOURCE_DIR}/.")
    return problems

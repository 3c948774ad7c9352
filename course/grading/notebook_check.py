"""Check a learner's exercise notebook against the solution's expected outputs, with nbval.

The learner's file is never modified: a copy in a temporary folder gets the solution's
stored outputs in its check cells (tagged `nbval-check-output`), then `pytest --nbval-lax`
runs it in a real kernel in a subprocess. This module is also the small pytest plugin that
subprocess loads (`-p course.grading.notebook_check`) to record each cell's result and output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course.grading import exercises
from course.lessons import notebooks

SANITIZE_FILE = Path(__file__).parents[1] / "nbval_sanitize.cfg"
RESULTS_ENV = "LAMBDA_COURSE_GRADING_RESULTS"
CHECK_OUTPUT_TAG = "nbval-check-output"
CELL_TIMEOUT_S = 120


class CheckError(Exception):
    """The notebook cannot be checked (missing, not a notebook, or no matching solution)."""


@dataclass(frozen=True)
class QuestionResult:
    """The outcome of one question's check cell."""

    question: str
    passed: bool
    verdict: str  # what the learner's check cell printed, or why it printed nothing

    def __str__(self) -> str:
        return f"{self.question} {'pass' if self.passed else 'not yet':<7} | {self.verdict}"


@dataclass(frozen=True)
class CheckReport:
    """Every question's result, plus errors raised in the learner's other cells."""

    notebook: str
    solution: str
    questions: tuple[QuestionResult, ...]
    notes: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every question passes."""
        return bool(self.questions) and all(q.passed for q in self.questions)

    def summary(self) -> str:
        """The lines `lambda-course check` prints."""
        lines = [f"Checking {self.notebook} against {self.solution}:"]
        lines += [str(q) for q in self.questions]
        lines += [f"Note: {note}" for note in self.notes]
        done = sum(q.passed for q in self.questions)
        lines.append(f"{done} of {len(self.questions)} questions pass.")
        return "\n".join(lines)


def solution_for(notebook: Path, root: Path | None = None) -> Path:
    """The solutions notebook an exercise notebook is checked against."""
    root = root or notebooks.ROOT
    nb = notebooks.read(notebook)
    recorded = nb.metadata.get(exercises.META_KEY, {}).get("generated_from")
    candidates = [root / recorded] if recorded else []
    candidates.append(root / exercises.SOURCE_DIR / notebook.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise CheckError(
        f"{notebook} has no matching solution in {root / exercises.SOURCE_DIR}. "
        "Check an exercise notebook from the exercises/ folder, e.g. "
        "`lambda-course check exercises/03_pricing_exercises.ipynb`."
    )


def _check_cells(nb: nbformat.NotebookNode) -> list[int]:
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and exercises.CHECK_TAG in cell.metadata.get("tags", [])
    ]


def _question(cells: list, index: int, position: int) -> str:
    return exercises.question_of(cells, index) or f"Q{position + 1}"


def prepared_copy(learner: nbformat.NotebookNode, solution: nbformat.NotebookNode):
    """The learner's notebook with the solution's outputs expected in each check cell."""
    nb = notebooks.clean(learner)
    expected = [solution.cells[i] for i in _check_cells(solution)]
    by_id = {cell.get("id"): cell for cell in expected}
    for position, index in enumerate(_check_cells(nb)):
        cell = nb.cells[index]
        reference = by_id.get(cell.get("id"))
        if reference is None and position < len(expected):
            reference = expected[position]
        if reference is None:
            continue
        cell.outputs = reference.outputs
        cell.execution_count = reference.execution_count or position + 1
        cell.metadata["tags"] = [*cell.metadata.get("tags", []), CHECK_OUTPUT_TAG]
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and index not in _check_cells(nb):
            cell.outputs, cell.execution_count = [], None
    return nb


def _run_nbval(path: Path, results: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(path),
        "--nbval-lax",
        "--nbval-current-env",
        f"--nbval-sanitize-with={SANITIZE_FILE}",
        f"--nbval-cell-timeout={CELL_TIMEOUT_S}",
        "-p",
        "no:cacheprovider",
        "-p",
        "course.grading.notebook_check",
        f"--rootdir={path.parent}",
        "-q",
    ]
    env = {**os.environ, RESULTS_ENV: str(results)}
    done = subprocess.run(
        command, cwd=path.parent, env=env, capture_output=True, text=True, check=False
    )
    if not results.exists():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise CheckError(f"nbval could not run {path.name}:\n{tail}")


def check(notebook: Path, root: Path | None = None) -> CheckReport:
    """Run a learner's notebook under nbval against its solution; never modifies the file."""
    root = root or notebooks.ROOT
    notebook = Path(notebook)
    try:
        learner = notebooks.read(notebook)
    except notebooks.NotebookFileError as error:
        raise CheckError(str(error)) from error
    solution_path = solution_for(notebook, root)
    solution = notebooks.read(solution_path)
    if not _check_cells(solution):
        raise CheckError(f"{solution_path} has no cells tagged `check`: nothing to compare.")
    with tempfile.TemporaryDirectory(prefix="lambda-course-check-") as tmp:
        copy = Path(tmp) / notebook.name
        nb = prepared_copy(learner, solution)
        notebooks.write(nb, copy)
        results = Path(tmp) / "results.jsonl"
        _run_nbval(copy, results)
        cells = [json.loads(line) for line in results.read_text().splitlines()]
    shown = solution_path.relative_to(root) if solution_path.is_relative_to(root) else solution_path
    return _report(str(notebook), str(shown), nb, solution, cells)


def _report(notebook: str, solution_path: str, nb, solution, cells: list[dict]) -> CheckReport:
    code_index = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    by_cell = {code_index[c["cell_num"]]: c for c in cells}
    checks = _check_cells(nb)
    questions = []
    for position, index in enumerate(checks):
        result = by_cell.get(index, {"outcome": "skipped", "stdout": "", "error": ""})
        label = _question(nb.cells, index, position)
        verdict = result["stdout"].strip() or (
            f"the check cell raised {result['error']}"
            if result["error"]
            else "the check cell printed nothing"
        )
        questions.append(QuestionResult(label, result["outcome"] == "passed", verdict))
    for position in range(len(checks), len(_check_cells(solution))):
        label = _question(solution.cells, _check_cells(solution)[position], position)
        questions.append(QuestionResult(label, False, "this question's check cell is missing"))
    notes = [
        f"code cell {code_index.index(index) + 1} (in "
        f"{exercises.question_of(nb.cells, index) or 'the set-up'}) raised {c['error']}"
        for index, c in sorted(by_cell.items())
        if c["error"] and index not in checks
    ]
    return CheckReport(notebook, solution_path, tuple(questions), tuple(notes))


# --- pytest plugin, loaded in the nbval subprocess (`-p course.grading.notebook_check`) ---


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Record each notebook cell's outcome and stdout for the parent `check` process."""
    report = yield
    results = os.environ.get(RESULTS_ENV)
    if results and hasattr(item, "cell_num") and (call.when == "call" or report.failed):
        outputs = item.test_outputs or []
        stdout = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
        errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if "ename" in o]
        if not errors and report.failed and call.excinfo is not None:
            errors = [call.excinfo.exconly().splitlines()[0]]
        record = {
            "cell_num": item.cell_num,
            "outcome": report.outcome,
            "stdout": stdout,
            "error": errors[0] if errors else "",
        }
        with open(results, "a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")
    return report

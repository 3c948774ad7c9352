"""Check a learner's exercise notebook with sealed checks, in a sandboxed kernel.

The learner's file is never modified. Its check cells are put back from the course's seal
(course.grading.sealing: made from solutions/, or read from seals/ in a classroom copy), and a copy
runs cell by cell in a fresh sandboxed kernel (course.grading.sandbox). Each question's
verdict is read from the kernel's message stream, stamped by the sealed check, and compared
with the seal's hash of the pass line (after nbval's sanitize rules): `pass`, `not yet`,
`tampered` (the check cell was changed or its output forged; the original ran), `error`
(the kernel died, or flooded its output) or `timeout`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.grading import exercises, runner, sandbox, sealing
from course.lessons import notebooks

SANITIZE_FILE = sealing.SANITIZE_FILE
CELL_TIMEOUT_S = notebooks.CELL_TIMEOUT_S
VERDICTS = ("pass", "not yet", "tampered", "error", "timeout")


class CheckError(Exception):
    """The notebook cannot be checked (missing, not a notebook, or no matching solution)."""


@dataclass(frozen=True)
class QuestionResult:
    """The outcome of one question's sealed check."""

    question: str
    outcome: str  # one of VERDICTS
    verdict: str  # what the sealed check printed, or why there is no such line

    @property
    def passed(self) -> bool:
        """True only for `pass`."""
        return self.outcome == "pass"

    def __str__(self) -> str:
        return f"{self.question} {self.outcome:<7} | {self.verdict}"


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


def _judge(name: str, sealed: sealing.SealedCell, run, nonce: str, stop) -> QuestionResult:  # noqa: ANN001
    q = sealed.question
    if run is None or run.status in ("not run", "timeout", "kernel died", "flood"):
        kind = stop.status if stop else "not run"
        reason = stop.error if stop else "this check cell did not run"
        return QuestionResult(q.question, "timeout" if kind == "timeout" else "error", reason)
    verdict = sealing.verdict_of(run.outputs, nonce)
    if verdict is None:
        detail = "learner code hid or forged the sealed check's output"
        return QuestionResult(q.question, "tampered", detail)
    text = str(verdict.get("stdout", "")).strip()
    error = str(verdict.get("error", ""))
    passed = not error and sealing.output_hash(name, q.question, text) == q.expected_sha256
    detail = text or (
        f"the check cell raised {error}" if error else "the check cell printed nothing"
    )
    if sealed.tampered:
        return QuestionResult(q.question, "tampered", f"{sealed.tampered}: {detail}")
    return QuestionResult(q.question, "pass" if passed else "not yet", detail)


def run_sealed(
    learner: nbformat.NotebookNode,
    seal: sealing.Seal,
    folder: Path,
    timeout: float = CELL_TIMEOUT_S,
) -> tuple[tuple[QuestionResult, ...], tuple[str, ...]]:
    """Run a learner's notebook with its checks sealed, in a kernel confined to `folder`."""
    nb, sealed_cells = sealing.restore(learner, seal)
    notebooks.write(nb, Path(folder) / seal.notebook)
    nonces = {cell.index: sealing.new_nonce() for cell in sealed_cells}
    sources = {
        cell.index: sealing.sealed_source(cell.question, nonces[cell.index])
        for cell in sealed_cells
    }
    skip = frozenset(
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and exercises.SELF_CHECK_TAG in cell.metadata.get("tags", [])
    )
    runs = runner.run_notebook(nb, folder, sources, timeout, skip=skip)
    by_index = {run.index: run for run in runs}
    stop = next((r for r in runs if r.status in ("timeout", "kernel died", "flood")), None)
    questions = tuple(
        _judge(seal.notebook, cell, by_index.get(cell.index), nonces[cell.index], stop)
        for cell in sealed_cells
    )
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    notes = tuple(
        f"code cell {code.index(run.index) + 1} (in "
        f"{exercises.question_of(nb.cells, run.index) or 'the set-up'}) raised {run.error}"
        for run in runs
        if run.status == "error" and run.index not in nonces
    )
    return questions, notes


def check(notebook: Path, root: Path | None = None, timeout: float = CELL_TIMEOUT_S) -> CheckReport:
    """Check a learner's notebook with sealed checks; never modifies the file."""
    root = root or notebooks.ROOT
    notebook = Path(notebook)
    try:
        learner = notebooks.read(notebook)
        seal = sealing.seal_for(notebook.name, root)
    except (notebooks.NotebookFileError, sealing.SealError) as error:
        raise CheckError(str(error)) from error
    folder = sandbox.workspace("lambda-course-check-")
    try:
        questions, notes = run_sealed(learner, seal, folder, timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return CheckReport(str(notebook), seal.origin, questions, notes)

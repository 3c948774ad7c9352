"""Grade a whole class: SUBMISSIONS/<student>/<exercise>.ipynb into one CSV and a summary.

Each student is graded in a worker process of its own, in a private temporary folder, with
sealed checks in a sandboxed kernel (notebook_check.run_sealed), so a corrupt file, a loop,
a killed kernel, an output flood or a hostile cell costs only that student's rows. The
submissions are only read, never written. The summary next to the CSV (an HTML table and a
PNG plot) gives each question's pass rate and the most frequent "not yet" reasons.
"""

from __future__ import annotations

import csv
import html
import multiprocessing
import shutil
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import astuple, dataclass
from pathlib import Path

from course.grading import exercises, notebook_check, sandbox, sealing
from course.lessons import notebooks

COLUMNS = ("student", "notebook", "question", "verdict", "detail")
NO_QUESTION = "-"
TOP_REASONS = 10


class GradeError(Exception):
    """The class cannot be graded (no such folder, nothing to grade, bad options)."""


@dataclass(frozen=True)
class Row:
    """One CSV row: a student's verdict on one question of one notebook."""

    student: str
    notebook: str
    question: str
    verdict: str
    detail: str


def submissions(folder: Path) -> dict[str, list[Path]]:
    """Every student's notebooks, SUBMISSIONS/<student>/*.ipynb (backups skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradeError(f"No such folder of submissions: {folder}")
    found = {
        student.name: sorted(
            p for p in student.glob("*.ipynb") if p.is_file() and not exercises.is_backup(p)
        )
        for student in sorted(folder.iterdir())
        if student.is_dir() and not student.name.startswith(".")
    }
    found = {student: paths for student, paths in found.items() if paths}
    if not found:
        raise GradeError(f"{folder} has no <student>/<exercise>.ipynb files to grade.")
    return found


def _rows_for_all(student: str, seal: sealing.Seal, verdict: str, detail: str) -> list[Row]:
    return [Row(student, seal.notebook, q.question, verdict, detail) for q in seal.questions]


def grade_notebook(student: str, path: Path, folder: Path, root: Path, timeout: float) -> list[Row]:
    """One student's rows for one notebook (never raises for a bad submission)."""
    try:
        seal = sealing.seal_for(path.name, root)
    except sealing.SealError:
        detail = f"{path.name} is not an exercise notebook of this course"
        return [Row(student, path.name, NO_QUESTION, "error", detail)]
    copy = folder / "submitted" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)  # read once; everything after works on the private copy
    try:
        learner = notebooks.read(copy)
    except notebooks.NotebookFileError as error:
        reason = str(error).replace(str(copy), path.name)
        return _rows_for_all(student, seal, "error", reason)
    run_folder = folder / "run"
    shutil.rmtree(run_folder, ignore_errors=True)
    run_folder.mkdir()
    try:
        questions, _notes = notebook_check.run_sealed(learner, seal, run_folder, timeout)
    except Exception as error:  # a kernel that cannot start, say: only this notebook's rows
        return _rows_for_all(student, seal, "error", f"the grader could not run it: {error}")
    finally:
        sandbox.kill_descendants()
    return [Row(student, seal.notebook, q.question, q.outcome, q.verdict) for q in questions]


def grade_student(student: str, paths: list[Path], root: Path, timeout: float) -> list[Row]:
    """Every row of one student, graded in a private temporary folder that is then removed."""
    folder = sandbox.workspace("lambda-course-grade-")
    try:
        return [
            row for path in paths for row in grade_notebook(student, path, folder, root, timeout)
        ]
    finally:
        sandbox.kill_descendants()
        shutil.rmtree(folder, ignore_errors=True)


def _worker_start() -> None:
    sandbox.become_subreaper()


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start)


def progress_bar(done: int, total: int, student: str) -> None:
    """Show `[#####.....] 5/12 students graded (last: NAME)` on stderr."""
    filled = round(20 * done / total)
    line = f"\r[{'#' * filled}{'.' * (20 - filled)}] {done}/{total} students graded"
    sys.stderr.write(f"{line} (last: {student})\033[K" + ("\n" if done == total else ""))
    sys.stderr.flush()


def grade_class(
    folder: Path,
    root: Path | None = None,
    workers: int = 2,
    timeout: float = notebook_check.CELL_TIMEOUT_S,
    progress: Callable[[int, int, str], None] = progress_bar,
) -> list[Row]:
    """Grade every student in `folder` in `workers` parallel processes; rows in student order."""
    if workers < 1 or timeout <= 0:
        raise GradeError("--workers must be at least 1 and --timeout more than 0 seconds.")
    root = Path(root or notebooks.ROOT).resolve()
    students = submissions(folder)
    results: dict[str, list[Row]] = {}
    crashed: list[str] = []
    with _pool(workers) as pool:
        futures = {
            pool.submit(grade_student, name, paths, root, timeout): name
            for name, paths in students.items()
        }
        for future in as_completed(futures):
            name = futures[future]
            try:
                results[name] = future.result()
            except BrokenProcessPool:
                crashed.append(name)
                continue
            progress(len(results), len(students), name)
    for name in sorted(crashed):  # the pool broke: grade each again alone, so one cannot sink all
        with _pool(1) as pool:
            try:
                again = pool.submit(grade_student, name, students[name], root, timeout)
                results[name] = again.result()
            except BrokenProcessPool:
                results[name] = [
                    Row(name, path.name, NO_QUESTION, "error", "the grader's worker process died")
                    for path in students[name]
                ]
        progress(len(results), len(students), name)
    return [row for name in students for row in results[name]]


def write_csv(rows: list[Row], out: Path) -> None:
    """Write the grades CSV: student,notebook,question,verdict,detail."""
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        writer.writerows(astuple(row) for row in rows)


@dataclass(frozen=True)
class QuestionSummary:
    """How a class did on one question."""

    notebook: str
    question: str
    counts: dict[str, int]

    @property
    def graded(self) -> int:
        """Students with a row for this question."""
        return sum(self.counts.values())

    @property
    def pass_rate(self) -> float:
        """The share of graded students whose verdict is `pass` (0 to 1)."""
        return self.counts.get("pass", 0) / self.graded if self.graded else 0.0


def _number(question: str) -> int:
    return int(question[1:]) if question[1:].isdigit() else 0


def summarize(rows: list[Row]) -> tuple[list[QuestionSummary], list[tuple[int, Row]]]:
    """Per-question verdict counts, and the most frequent "not yet" reasons (count, example)."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for row in rows:
        if row.question != NO_QUESTION:
            counts[(row.notebook, row.question)][row.verdict] += 1
    questions = [QuestionSummary(nb, q, dict(c)) for (nb, q), c in counts.items()]
    questions.sort(key=lambda s: (s.notebook, _number(s.question)))
    reasons = Counter((r.notebook, r.question, r.detail) for r in rows if r.verdict == "not yet")
    top = [
        (count, Row("", nb, q, "not yet", detail))
        for (nb, q, detail), count in reasons.most_common(TOP_REASONS)
    ]
    return questions, top


def write_plot(questions: list[QuestionSummary], out: Path) -> None:
    """A bar chart of the pass rate of every question, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [f"{s.notebook.split('_')[0]} {s.question}" for s in questions]
    figure = Figure(figsize=(7, 0.35 * len(questions) + 1.2))
    axes = figure.subplots()
    axes.barh(labels, [100 * s.pass_rate for s in questions], color="#2a7ab9")
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("students who pass (%)")
    axes.set_title("Pass rate per question")
    figure.tight_layout()
    figure.savefig(out, dpi=100, metadata={"Software": None})


def write_summary(rows: list[Row], csv_path: Path) -> tuple[Path, Path]:
    """Write NAME.html (tables) and NAME.png (plot) next to the CSV; returns both paths."""
    questions, top = summarize(rows)
    page, plot = csv_path.with_suffix(".html"), csv_path.with_suffix(".png")
    write_plot(questions, plot)
    cell = html.escape
    head = "".join(f"<th>{cell(v)}</th>" for v in ("notebook", "question", "graded"))
    head += "".join(f"<th>{v}</th>" for v in notebook_check.VERDICTS) + "<th>pass rate</th>"
    body = "".join(
        f"<tr><td>{cell(s.notebook)}</td><td>{cell(s.question)}</td><td>{s.graded}</td>"
        + "".join(f"<td>{s.counts.get(v, 0)}</td>" for v in notebook_check.VERDICTS)
        + f"<td>{100 * s.pass_rate:.0f} %</td></tr>"
        for s in questions
    )
    reasons = (
        "".join(
            f"<tr><td>{count}</td><td>{cell(r.notebook)}</td><td>{cell(r.question)}</td>"
            f"<td>{cell(r.detail)}</td></tr>"
            for count, r in top
        )
        or '<tr><td colspan="4">No "not yet" verdicts.</td></tr>'
    )
    students = len({r.student for r in rows})
    page.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Grades summary</title></head>"
        f"<body><h1>Grades summary</h1><p>{students} students, from {cell(csv_path.name)}.</p>"
        f"<h2>Pass rate per question</h2><table border='1'><tr>{head}</tr>{body}</table>"
        f"<p><img src='{cell(plot.name)}' alt='pass rate per question'></p>"
        "<h2>Most frequent &quot;not yet&quot; reasons</h2><table border='1'>"
        f"<tr><th>students</th><th>notebook</th><th>question</th><th>reason</th></tr>{reasons}"
        "</table></body></html>\n",
        encoding="utf-8",
    )
    return page, plot


def sandbox_note() -> str:
    """One plain sentence when this machine cannot confine notebooks (empty when it can)."""
    if sandbox.landlock_abi() >= 1:
        return ""
    return (
        "Warning: this Linux kernel offers no Landlock sandbox, so submitted notebooks run with "
        "your user's rights: grade on a machine or account that holds nothing else."
    )


def grade(
    folder: Path, out: Path, workers: int = 2, timeout: float = notebook_check.CELL_TIMEOUT_S
) -> list[Row]:
    """`lambda-course grade`: grade the class, write the CSV and its summary."""
    out = Path(out)
    if out.resolve().is_relative_to(Path(folder).resolve()):
        raise GradeError(f"Write {out} outside the submissions folder, which is never modified.")
    rows = grade_class(folder, workers=workers, timeout=timeout)
    write_csv(rows, out)
    write_summary(rows, out)
    return rows

"""A learner's progress: quiz answers and exercise checks, in one small JSON file.

The file is `~/.lambda-course/progress.json` (or under $LAMBDA_COURSE_HOME). It is never lost:
every change is written to a temporary file that then replaces the old one, and a file that
cannot be read is kept as a backup, with a warning, before a new one is started.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from course.exam.question_bank import Question
from course.lessons.learner import home

FILE_NAME = "progress.json"
VERSION = 1

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; writes stay atomic
    fcntl = None


class ProgressFileWarning(UserWarning):
    """The progress file could not be read; it was backed up and a new one started."""


@dataclass(frozen=True)
class Answer:
    """One quiz answer."""

    question: str
    right: bool
    at: str  # ISO 8601, UTC

    @property
    def when(self) -> datetime:
        """The time of the answer."""
        return datetime.fromisoformat(self.at)


@dataclass(frozen=True)
class ExerciseCheck:
    """One exercise question's verdict from `lambda-course check`."""

    notebook: str
    question: str
    passed: bool
    verdict: str
    at: str


@dataclass
class Progress:
    """Everything recorded for one learner, oldest first."""

    answers: list[Answer] = field(default_factory=list)
    checks: list[ExerciseCheck] = field(default_factory=list)

    def to_json(self) -> dict:
        """The file's content."""
        return {
            "version": VERSION,
            "answers": [asdict(a) for a in self.answers],
            "checks": [asdict(c) for c in self.checks],
        }

    @classmethod
    def from_json(cls, data: object) -> Progress:
        """Read the file's content; raise ValueError when it is not a progress file."""
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("not a version-1 progress file")
        try:
            answers = [Answer(**a) for a in data.get("answers", [])]
            checks = [ExerciseCheck(**c) for c in data.get("checks", [])]
            for item in (*answers, *checks):
                datetime.fromisoformat(item.at)
        except (TypeError, ValueError) as error:
            raise ValueError(f"an entry is malformed ({error})") from error
        return cls(answers, checks)

    def latest_answers(self) -> dict[str, Answer]:
        """The last answer to each question."""
        return {a.question: a for a in sorted(self.answers, key=lambda a: a.when)}

    def latest_checks(self) -> dict[tuple[str, str], ExerciseCheck]:
        """The last verdict of each (notebook, question)."""
        return {(c.notebook, c.question): c for c in self.checks}


def progress_file() -> Path:
    """Where the progress is kept."""
    return home() / FILE_NAME


def now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


def load(path: Path | None = None) -> Progress:
    """The recorded progress (empty when there is none yet; a bad file is set aside first)."""
    path = Path(path or progress_file())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Progress()
    try:
        return Progress.from_json(json.loads(text))
    except ValueError as error:
        backup = _backup(path)
        warnings.warn(
            f"{path} could not be read ({error}). It was kept as {backup}; "
            "a new progress file starts now.",
            ProgressFileWarning,
            stacklevel=2,
        )
        return Progress()


def _backup(path: Path) -> Path:
    """Move a bad file to `progress.corrupt-<time>.json`, never over an older backup."""
    stamp = now().strftime("%Y%m%dT%H%M%S")
    for number in range(1000):
        backup = path.with_name(f"{path.stem}.corrupt-{stamp}{f'-{number}' if number else ''}.json")
        try:
            os.link(path, backup)  # never replaces an older backup
        except FileExistsError:
            continue
        except OSError:  # no hard links here: copy, refusing to overwrite
            with open(backup, "xb") as copy:
                copy.write(path.read_bytes())
        path.unlink()  # set aside, so the next read starts afresh instead of backing up again
        return backup
    raise OSError(f"Too many backups of {path}; move some away.")


def save(progress: Progress, path: Path | None = None) -> None:
    """Write the file atomically: a temporary file in the same folder replaces it."""
    path = Path(path or progress_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(progress.to_json(), indent=1) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def update(change: Callable[[Progress], None], path: Path | None = None) -> Progress:
    """Load, change and save the progress under a lock (a quiz and a notebook may both write)."""
    path = Path(path or progress_file())
    with _locked(path):
        progress = load(path)
        change(progress)
        save(progress, path)
    return progress


def record_answer(
    question_id: str, right: bool, at: datetime | None = None, path: Path | None = None
) -> None:
    """Record one quiz answer."""
    answer = Answer(question_id, bool(right), (at or now()).isoformat())
    update(lambda progress: progress.answers.append(answer), path)


def record_checks(
    notebook: str,
    verdicts: Iterable[tuple[str, bool, str]],
    at: datetime | None = None,
    path: Path | None = None,
) -> None:
    """Record a notebook's exercise verdicts: (question, passed, verdict line) each.

    Only the latest verdict of each question is kept, so the file stays small.
    """
    stamp = (at or now()).isoformat()
    name = Path(notebook).name
    checks = [ExerciseCheck(name, q, bool(ok), verdict, stamp) for q, ok, verdict in verdicts]
    keys = {(c.notebook, c.question) for c in checks}

    def change(progress: Progress) -> None:
        progress.checks[:] = [c for c in progress.checks if (c.notebook, c.question) not in keys]
        progress.checks.extend(checks)

    update(change, path)


# --- mastery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mastery:
    """How far a learner is on one lesson or task statement."""

    key: str
    title: str
    total: int  # questions in the bank
    answered: int
    mastered: int  # questions whose last answer was right
    checks_passed: int = 0
    checks_total: int = 0

    @property
    def percent(self) -> int:
        """Mastered questions as a whole percentage of the bank's questions."""
        return round(100 * self.mastered / self.total) if self.total else 0


def _lesson_of_notebook(name: str) -> str:
    return name[:2] if name[:2].isdigit() else ""


def _mastery(key: str, title: str, pool: list[Question], latest: Mapping[str, Answer]) -> Mastery:
    answered = [latest[q.id] for q in pool if q.id in latest]
    return Mastery(key, title, len(pool), len(answered), sum(a.right for a in answered))


def by_lesson(
    progress: Progress, bank: Iterable[Question], titles: Mapping[str, str] | None = None
) -> list[Mastery]:
    """Mastery per lesson number: quiz questions and exercise checks."""
    bank = list(bank)
    latest = progress.latest_answers()
    checks = progress.latest_checks()
    numbers = {q.lesson_number for q in bank} | {_lesson_of_notebook(n) for n, _ in checks}
    rows = []
    for number in sorted(numbers - {""}):
        row = _mastery(
            number,
            (titles or {}).get(number, ""),
            [q for q in bank if q.lesson_number == number],
            latest,
        )
        mine = [c for (n, _), c in checks.items() if _lesson_of_notebook(n) == number]
        rows.append(
            Mastery(
                row.key,
                row.title,
                row.total,
                row.answered,
                row.mastered,
                sum(c.passed for c in mine),
                len(mine),
            )
        )
    return rows


def by_task(
    progress: Progress, bank: Iterable[Question], titles: Mapping[str, str] | None = None
) -> list[Mastery]:
    """Mastery per exam task statement ('DVA-C02:1.2')."""
    bank = list(bank)
    latest = progress.latest_answers()
    tags = sorted({tag for q in bank for tag in q.tags})
    return [
        _mastery(tag, (titles or {}).get(tag, ""), [q for q in bank if tag in q.tags], latest)
        for tag in tags
    ]


def report(rows_by_lesson: list[Mastery], rows_by_task: list[Mastery]) -> str:
    """The text `lambda-course progress` prints."""
    lines = ["Mastery per lesson (questions whose last answer was right):"]
    for row in rows_by_lesson:
        line = (
            f"  {row.key} {row.title:<28} {row.mastered:>3} of {row.total:<3} mastered "
            f"({row.percent}%), {row.answered} answered"
        )
        if row.checks_total:
            line += f"; exercises: {row.checks_passed} of {row.checks_total} pass"
        lines.append(line)
    lines.append("Mastery per task statement:")
    for row in rows_by_task:
        lines.append(
            f"  {row.key:<12} {row.mastered:>3} of {row.total:<3} mastered ({row.percent}%)"
            + (f"  {row.title}" if row.title else "")
        )
    return "\n".join(lines)


def lesson_mastery(
    path: Path | None = None, bank: Iterable[Question] | None = None
) -> list[Mastery]:
    """The learner's mastery per lesson, against the bank in use, with the lessons' titles."""
    from course.exam.question_bank import questions
    from course.lessons import LESSONS

    titles = {item.number: item.title for item in LESSONS}
    return by_lesson(load(path), questions() if bank is None else bank, titles)


def chart_data(rows: Iterable[Mastery] | None = None) -> list[dict]:
    """One dict per lesson (or the given rows) for a chart: label, percent and the counts."""
    rows = lesson_mastery() if rows is None else rows
    return [
        {
            "label": f"{row.key} {row.title}".strip(),
            "percent": row.percent,
            "mastered": row.mastered,
            "answered": row.answered,
            "total": row.total,
            "checks_passed": row.checks_passed,
            "checks_total": row.checks_total,
        }
        for row in rows
    ]


def plot(rows: Iterable[Mastery] | None = None, ax=None):
    """A horizontal bar chart of mastery in percent (per lesson by default); returns the Axes."""
    import matplotlib.pyplot as plt

    data = chart_data(rows)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * max(len(data), 2) + 1))
    labels = [d["label"] for d in data]
    ax.barh(labels, [d["percent"] for d in data], color="#ff9900")
    ax.set_xlim(0, 100)
    ax.set_xlabel("questions mastered (%)")
    ax.invert_yaxis()
    for y, d in enumerate(data):
        ax.text(1, y, f"{d['mastered']} of {d['total']}", va="center", fontsize=8)
    ax.set_title("Your progress")
    return ax

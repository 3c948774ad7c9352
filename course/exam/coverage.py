"""Coverage of the exam guides: which lessons, exercises and questions teach each task statement.

The exam guides file lists each task statement (`DVA-C02:1.2`) with its title and whether its
content touches Lambda (`in_scope`). Every in-scope statement should have questions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from course.exam.question_bank import InvalidParameterValueException, Question, guides_file
from course.lessons import notebooks


@dataclass(frozen=True)
class TaskStatement:
    """One task statement of an exam guide."""

    id: str
    title: str
    in_scope: bool

    @property
    def exam(self) -> str:
        """The exam code, e.g. 'DVA-C02'."""
        return self.id.split(":")[0]


@dataclass(frozen=True)
class Coverage:
    """What the course has for one task statement."""

    statement: TaskStatement
    lessons: tuple[str, ...]
    exercises: tuple[str, ...]
    questions: int


def guides(path: Path | None = None) -> list[TaskStatement]:
    """Every task statement of the exam guides file (`exam_guides.json` beside the bank)."""
    path = Path(path or guides_file())
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [TaskStatement(e["id"], e["title"], bool(e["in_scope"])) for e in entries]


def titles(statements: Iterable[TaskStatement]) -> dict[str, str]:
    """Task statement titles by id."""
    return {s.id: s.title for s in statements}


def _exercises(lesson_numbers: Iterable[str], root: Path) -> tuple[str, ...]:
    found = []
    for number in sorted(set(lesson_numbers)):
        found += [
            f"exercises/{p.name}" for p in sorted((root / "exercises").glob(f"{number}_*.ipynb"))
        ]
    return tuple(found)


def coverage(
    exam: str,
    bank: Iterable[Question],
    statements: Iterable[TaskStatement],
    root: Path | None = None,
) -> list[Coverage]:
    """One row per in-scope task statement of `exam`, in guide order."""
    statements = list(statements)
    exams = sorted({s.exam for s in statements})
    if exam not in exams:
        raise InvalidParameterValueException(
            f"No exam guide {exam!r}. Exam guides: {', '.join(exams)}."
        )
    bank = list(bank)
    rows = []
    for statement in (s for s in statements if s.exam == exam and s.in_scope):
        tagged = [q for q in bank if statement.id in q.tags]
        lessons = tuple(sorted({q.lesson for q in tagged if q.lesson}))
        exercises = _exercises(
            (q.lesson_number for q in tagged if q.lesson_number), root or notebooks.ROOT
        )
        rows.append(Coverage(statement, lessons, exercises, len(tagged)))
    return rows


def uncovered(rows: Iterable[Coverage]) -> list[TaskStatement]:
    """The in-scope task statements without a single question."""
    return [row.statement for row in rows if row.questions == 0]


def table(rows: list[Coverage]) -> str:
    """The text `lambda-course coverage` prints."""
    lines = []
    for row in rows:
        count = f"{row.questions} question{'' if row.questions == 1 else 's'}"
        lines.append(f"{row.statement.id}  {row.statement.title}: {count}")
        lines.append(f"    lessons: {'; '.join(row.lessons) or 'none'}")
        lines.append(f"    exercises: {'; '.join(row.exercises) or 'none'}")
    missing = uncovered(rows)
    lines.append(
        f"{len(rows) - len(missing)} of {len(rows)} in-scope task statements have questions."
    )
    if missing:
        lines.append(f"No question yet for: {', '.join(s.id for s in missing)}.")
    return "\n".join(lines)

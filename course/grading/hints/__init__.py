"""Tiered hints for the exercises: each `hint("Q3")` reveals the next level, gentlest first.

The hints are data, one TOML file per lesson beside this module (`02_fundamentals.toml`: the
lesson number, then the name of its check module), each question with two or more levels:
first a nudge towards the idea, last the method, never the answer itself. How far a learner
has gone is kept per learner in `hints.json` under $LAMBDA_COURSE_HOME (default
~/.lambda-course), never in the course's folder.

    from course.grading.checks.fundamentals import hint
    hint("Q3")                       # in the notebook
    lambda-course hint exercises/02_lambda_fundamentals_exercises.ipynb Q3   # in a terminal
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from course.lessons.learner import home

STATE_FILE = "hints.json"
FOLDER = Path(__file__).parent
LESSON_PREFIX = re.compile(r"^(\d{2})_")


class HintNotFoundError(LookupError):
    """No hints for this lesson or question."""


def hint_file(lesson: str) -> Path:
    """The hints file of a lesson ('02' -> .../02_fundamentals.toml)."""
    found = sorted(FOLDER.glob(f"{lesson}_*.toml"))
    if len(found) != 1:
        have = ", ".join(sorted(p.name[:2] for p in FOLDER.glob("*.toml")))
        raise HintNotFoundError(f"No hints for lesson {lesson!r}; lessons with hints: {have}.")
    return found[0]


def questions(lesson: str) -> dict[str, list[str]]:
    """Every question of a lesson with its hint levels, in order."""
    data = tomllib.loads(hint_file(lesson).read_text(encoding="utf-8"))
    return {question: list(entry["levels"]) for question, entry in data.items()}


def levels(lesson: str, question: str) -> list[str]:
    """The hint levels of one question, gentlest first."""
    table = questions(lesson)
    key = question.strip().upper()
    if key not in table:
        raise HintNotFoundError(
            f"Lesson {lesson} has no hints for {question!r}; its questions are {', '.join(table)}."
        )
    return table[key]


def shown(lesson: str, question: str) -> int:
    """How many hint levels of a question this learner has seen (0 to all)."""
    return _state().get(lesson, {}).get(question.strip().upper(), 0)


def reveal(lesson: str, question: str, again: str = "") -> str:
    """Reveal the next hint level of a question, remember it, and return the text to show.

    `again` says how to ask for the next level (default: `hint("Q3")`, as in a notebook).
    """
    question = question.strip().upper()
    again = again or f'run hint("{question}") again'

    texts = levels(lesson, question)
    level = min(shown(lesson, question) + 1, len(texts))
    state = _state()
    state.setdefault(lesson, {})[question] = level
    _save(state)
    line = f"{question} hint {level} of {len(texts)}: {texts[level - 1]}"
    if level < len(texts):
        return line + f" (For the next one, {again}.)"
    return line + " (That is the last hint: the check's message says what is still wrong.)"


def for_lesson(lesson: str) -> Callable[[str], None]:
    """The `hint` function a lesson's exercise notebook imports from its check module."""

    def hint(question: str) -> None:
        """Print the next hint level for `question` ('Q3') of this lesson's exercises."""
        print(reveal(lesson, question))

    hint.__qualname__ = f"hint (lesson {lesson})"
    return hint


def lesson_of(notebook: Path | str) -> str:
    """The lesson number of an exercise notebook, from its file name ('02_..._exercises')."""
    found = LESSON_PREFIX.match(Path(notebook).name)
    if not found:
        raise HintNotFoundError(
            f"{notebook} does not start with a lesson number: give an exercise notebook such as "
            "exercises/02_lambda_fundamentals_exercises.ipynb."
        )
    return found.group(1)


def _state() -> dict[str, dict[str, int]]:
    path = home() / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(state: dict) -> None:
    """Write the state atomically (a temporary file, then a rename)."""
    folder = home()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=folder, prefix=".hints-", suffix=".json", delete=False, encoding="utf-8"
    ) as file:
        json.dump(state, file, indent=1, sort_keys=True)
    os.replace(file.name, folder / STATE_FILE)

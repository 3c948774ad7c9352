"""A quiz: ask questions, read answers (`B`, `A,C` or a number), score them per task statement.

`QuizSession` holds the logic the terminal quiz (`lambda-course quiz`) and the notebook widget
share: parsing an answer, marking it, keeping the score. `run` is the terminal loop; it reads
standard input line by line, so a quiz can be scripted.
"""

from __future__ import annotations

import os
import re
import select
import string
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TextIO

from course.exam.question_bank import MONEY_UNITS, Question, format_value

NUMBER = re.compile(r"^\$?\s*(-?[\d,]*\.?\d+)\s*[A-Za-z$/%() -]*$")
Recorder = Callable[[Question, bool], None]


class InvalidAnswer(ValueError):
    """An answer that cannot be read for this question (the message says what to type)."""


@dataclass(frozen=True)
class Response:
    """A parsed answer: the chosen choice indexes, or a number for a numeric question."""

    choices: tuple[int, ...] = ()
    number: Decimal | None = None


@dataclass(frozen=True)
class Outcome:
    """One answered question: what was given and whether it was right."""

    question: Question
    given: Response
    right: bool


def letters(indexes: Iterable[int]) -> str:
    """Choice indexes as letters: (0, 2) -> 'A, C'."""
    return ", ".join(string.ascii_uppercase[i] for i in sorted(indexes))


def how_to_answer(question: Question) -> str:
    """What to type for this question."""
    if question.kind == "numeric":
        unit = question.answer.unit if question.answer else ""
        if unit in MONEY_UNITS:
            return "an amount in USD, e.g. 12.50"
        return f"a number ({unit})" if unit else "a number"
    last = string.ascii_uppercase[len(question.choices) - 1]
    if question.kind == "multiple":
        return f"{len(question.correct)} letters from A to {last}, e.g. A,C"
    return f"one letter from A to {last}"


def parse(question: Question, text: str) -> Response:
    """Read an answer typed for `question`; raise InvalidAnswer with what to type instead."""
    text = text.strip()
    if question.kind == "numeric":
        found = NUMBER.match(text)
        try:
            return Response(number=Decimal(found.group(1).replace(",", "")))
        except (AttributeError, InvalidOperation):
            raise InvalidAnswer(f"Please answer with {how_to_answer(question)}.") from None
    picked = [part for part in re.split(r"[\s,;]+", text.upper()) if part]
    if len(picked) == 1 and picked[0].isalpha() and len(picked[0]) > 1:
        picked = list(picked[0])  # "AC" means A and C
    valid = string.ascii_uppercase[: len(question.choices)]
    if not picked or any(len(p) != 1 or p not in valid for p in picked):
        raise InvalidAnswer(f"Please answer with {how_to_answer(question)}.")
    if question.kind == "single" and len(picked) != 1:
        raise InvalidAnswer(f"This question has one answer: {how_to_answer(question)}.")
    return Response(choices=tuple(sorted({valid.index(p) for p in picked})))


def is_right(question: Question, response: Response) -> bool:
    """Whether `response` answers `question` (all and only the right choices, or the number)."""
    if question.kind == "numeric":
        return response.number is not None and question.answer.matches(response.number)
    return set(response.choices) == set(question.correct)


def right_answer(question: Question) -> str:
    """The right answer in words: 'B', 'A, C' or '$12.34'."""
    if question.kind == "numeric":
        return format_value(question.answer.value, question.answer.unit)
    return letters(question.correct)


class QuizSession:
    """A quiz in progress: the questions, the answers so far and the score."""

    def __init__(self, questions: Iterable[Question], record: Recorder | None = None) -> None:
        self.questions = list(questions)
        self.outcomes: list[Outcome] = []
        self.record = record

    @property
    def current(self) -> Question | None:
        """The next question to answer, or None when the quiz is over."""
        done = len(self.outcomes)
        return self.questions[done] if done < len(self.questions) else None

    def answer(self, given: str | Response) -> Outcome:
        """Mark an answer to the current question (text is parsed first) and move on."""
        question = self.current
        if question is None:
            raise InvalidAnswer("The quiz is over: every question has an answer.")
        response = parse(question, given) if isinstance(given, str) else given
        outcome = Outcome(question, response, is_right(question, response))
        self.outcomes.append(outcome)
        if self.record:
            self.record(question, outcome.right)
        return outcome

    @property
    def score(self) -> tuple[int, int]:
        """(right, answered)."""
        return sum(o.right for o in self.outcomes), len(self.outcomes)

    def by_task(self) -> dict[str, tuple[int, int]]:
        """(right, answered) per task statement tag, sorted by tag."""
        scores: dict[str, list[int]] = {}
        for outcome in self.outcomes:
            for tag in outcome.question.tags:
                right, asked = scores.setdefault(tag, [0, 0])
                scores[tag] = [right + outcome.right, asked + 1]
        return {tag: (r, n) for tag, (r, n) in sorted(scores.items())}

    def summary(self, titles: Mapping[str, str] | None = None) -> str:
        """'Score: 6/8' and one line per task statement."""
        right, answered = self.score
        lines = [f"Score: {right}/{answered}"]
        if answered < len(self.questions):
            lines[0] += f" ({len(self.questions) - answered} of {len(self.questions)} not answered)"
        if self.outcomes:
            lines.append("By task statement:")
            for tag, (r, n) in self.by_task().items():
                title = (titles or {}).get(tag, "")
                lines.append(f"  {tag:<12} {r}/{n}" + (f"  {title}" if title else ""))
        return "\n".join(lines)


def feedback(outcome: Outcome) -> str:
    """'Right.' or 'Wrong: the answer is B.', then the explanation."""
    verdict = (
        "Right." if outcome.right else f"Wrong: the answer is {right_answer(outcome.question)}."
    )
    return f"{verdict}\n{outcome.question.explanation}"


def show(question: Question, number: int, total: int) -> str:
    """A question as the terminal shows it, with lettered choices."""
    lines = [f"Question {number} of {total} ({', '.join(question.tags)})", question.prompt]
    lines += [f"  {string.ascii_uppercase[i]}. {c}" for i, c in enumerate(question.choices)]
    return "\n".join(lines)


def run(
    questions: Iterable[Question],
    stdin: TextIO,
    stdout: TextIO,
    *,
    minutes: float | None = None,
    record: Recorder | None = None,
    titles: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> QuizSession:
    """Ask each question on `stdout`, read answers from `stdin`, print feedback and the score.

    With `minutes`, the quiz ends when the time is up: at a terminal it stops waiting for the
    answer; no new question is asked, and an answer given after the limit does not count. The
    quiz also ends when the input ends.
    """
    session = QuizSession(questions, record)
    deadline = None if minutes is None else clock() + minutes * 60
    total = len(session.questions)

    def say(text: str = "") -> None:
        print(text, file=stdout, flush=True)

    while (question := session.current) is not None:
        if deadline is not None and clock() >= deadline:
            say(f"Time is up: the {minutes:g}-minute limit has passed.")
            break
        say(show(question, len(session.outcomes) + 1, total))
        while True:
            stdout.write(f"Your answer ({how_to_answer(question)}): ")
            stdout.flush()
            if not _wait_for_line(stdin, deadline, clock):
                say(f"\nTime is up: the {minutes:g}-minute limit has passed.")
                say(session.summary(titles))
                return session
            line = stdin.readline()
            if line and not _interactive(stdin):
                stdout.write(line if line.endswith("\n") else line + "\n")  # echo a script
            if not line:
                say("\nNo more answers: the quiz ends here.")
                say(session.summary(titles))
                return session
            if deadline is not None and clock() > deadline:
                say(f"\nTime is up: that answer came after the {minutes:g}-minute limit.")
                say(session.summary(titles))
                return session
            try:
                outcome = session.answer(line)
            except InvalidAnswer as error:
                say(f"\n{error}")
                continue
            say(f"\n{feedback(outcome)}\n")
            break
    say(session.summary(titles))
    return session


def _wait_for_line(stdin: TextIO, deadline: float | None, clock: Callable[[], float]) -> bool:
    """At a terminal, wait until `deadline` for the learner to type a line (False: time up).

    Scripted input is read at once: its lines may already sit in Python's buffer, where
    select() cannot see them, and the time is checked after each answer instead.
    """
    if deadline is None or not _interactive(stdin) or os.name != "posix":
        return True
    ready, _, _ = select.select([stdin], [], [], max(deadline - clock(), 0))
    return bool(ready)


def _interactive(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())

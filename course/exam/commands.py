"""The exam verbs of the `lambda-course` command: quiz, review, progress and coverage.

cli.py adds these verbs with `add_verbs` and hands their arguments to `run`; each verb prints
to standard output, reads answers from standard input and returns the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TextIO

from course.exam import coverage, progress, question_bank, quiz, review

VERBS = ("quiz", "review", "progress", "coverage")


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    """Add the exam verbs to the `lambda-course` parser."""
    quiz_parser = verbs.add_parser("quiz", help="answer exam questions in the terminal")
    quiz_parser.add_argument("--exam", help="DVA-C02 or SAA-C03 (default: every exam)")
    quiz_parser.add_argument("--task", help="a task statement, e.g. 1.2 or DVA-C02:1.2")
    quiz_parser.add_argument("--count", type=int, default=10, help="questions (default 10)")
    quiz_parser.add_argument("--seed", help="the same seed asks the same questions in order")
    quiz_parser.add_argument("--minutes", type=float, help="end the quiz after this time")
    review_parser = verbs.add_parser("review", help="answer the questions due for review")
    review_parser.add_argument("--count", type=int, help="at most this many questions")
    verbs.add_parser("progress", help="show your mastery per lesson and per task statement")
    coverage_parser = verbs.add_parser("coverage", help="what teaches each exam task statement")
    coverage_parser.add_argument("--exam", required=True, help="DVA-C02 or SAA-C03")


def run(
    args: argparse.Namespace,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    now: Callable[[], datetime] = progress.now,
) -> int:
    """Run one exam verb; bad arguments print an AWS-style error and return 2."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    try:
        with showing_warnings():
            if args.verb == "quiz":
                return quiz_command(args, stdin, stdout)
            if args.verb == "review":
                return review_command(args.count, stdin, stdout, now())
            if args.verb == "progress":
                return progress_command(stdout)
            return coverage_command(args.exam, stdout)
    except (question_bank.InvalidParameterValueException, question_bank.QuestionBankError) as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 2


@contextlib.contextmanager
def showing_warnings() -> Iterator[None]:
    """Show the progress file's warnings (a bad file was backed up) as plain lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", progress.ProgressFileWarning)
        try:
            yield
        finally:
            for warning in caught:
                print(f"Warning: {warning.message}", file=sys.stderr)


def _record(question: question_bank.Question, right: bool) -> None:
    progress.record_answer(question.id, right)


def _titles() -> dict[str, str]:
    path = question_bank.guides_file()
    return coverage.titles(coverage.guides(path)) if path.is_file() else {}


def quiz_command(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """`lambda-course quiz`: the questions of `course.exam.draw` with the same arguments."""
    if args.minutes is not None and args.minutes < 0:
        raise question_bank.InvalidParameterValueException(
            f"--minutes must be 0 or more, not {args.minutes:g}."
        )
    seed = (
        int(args.seed) if args.seed is not None and args.seed.lstrip("-").isdigit() else args.seed
    )
    drawn = question_bank.draw(args.exam, args.task, args.count, seed)
    quiz.run(drawn, stdin, stdout, minutes=args.minutes, record=_record, titles=_titles())
    return 0


def review_command(count: int | None, stdin: TextIO, stdout: TextIO, now: datetime) -> int:
    """`lambda-course review`: the questions due in the Leitner schedule at `now`."""
    bank = question_bank.questions()
    mine = progress.load()
    due = review.due(mine, bank, now, count)
    if not due:
        later = review.next_due(mine, bank, now)
        print(
            "Nothing is due for review. "
            + (
                f"The next question is due on {later:%Y-%m-%d at %H:%M} UTC."
                if later
                else "Answer some questions first: `lambda-course quiz`."
            ),
            file=stdout,
        )
        return 0
    print(f"{len(due)} question{'s' if len(due) > 1 else ''} due for review.", file=stdout)
    quiz.run(due, stdin, stdout, record=_record, titles=_titles())
    return 0


def progress_command(stdout: TextIO) -> int:
    """`lambda-course progress`: mastery per lesson and per task statement."""
    bank = question_bank.questions()
    print(f"Progress file: {progress.progress_file()}", file=stdout)
    print(
        progress.report(
            progress.lesson_mastery(bank=bank),
            progress.by_task(progress.load(), bank, _titles()),
        ),
        file=stdout,
    )
    return 0


def coverage_command(exam: str, stdout: TextIO) -> int:
    """`lambda-course coverage --exam X`: exit code 1 when an in-scope statement has no question."""
    statements = coverage.guides(question_bank.guides_file())
    rows = coverage.coverage(exam, question_bank.questions(), statements)
    print(coverage.table(rows), file=stdout)
    return 1 if coverage.uncovered(rows) else 0

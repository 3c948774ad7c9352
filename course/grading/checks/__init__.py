"""Check helpers for exercise notebooks: each prints one short, deterministic verdict line.

A check cell calls one helper right after its question. The line it prints is what nbval
compares with the solutions notebook, so it must never contain the answer, timings or ids.
A 'not yet' line names what is wrong, then points to `hint("Q1")`, whose levels
(course.grading.hints) go from a nudge to the method. Lesson-specific checks live in one
module per lesson (`course.grading.checks.pricing`, ...); each exports its lesson's `hint`.
"""

from __future__ import annotations

import re

from course.lessons import handler_magic

PASS = "correct"
FAIL = "not yet"
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]+")


def report(question: str, passed: bool, checked: str, problem: str = "") -> bool:
    """Print 'Q1 correct: <what was checked>.' or 'Q1 not yet: <checked>. <what is wrong> ...'.

    A 'not yet' line ends by pointing to the question's tiered hints.
    """
    line = f"{question} {PASS if passed else FAIL}: {checked}."
    if not passed:
        if problem:
            line += f" {problem[0].upper()}{problem[1:]}"
        line += f' For a hint, run hint("{question}").'
    print(line)
    return passed


def answered(question: str, value: object, name: str) -> bool:
    """Print a 'not yet' verdict when `value` is still the `...` placeholder of the exercise."""
    if value is ...:
        report(question, False, f"`{name}` still holds the placeholder `...`", "replace it.")
        return False
    return True


def handler_code(question: str, answer: object, name: str) -> str | None:
    """The module code an answer gives: a `%%handler` cell's function name, or a code string.

    Prints a 'not yet' verdict and returns None when there is no code defining `handler`.
    """
    if not answered(question, answer, name):
        return None
    if isinstance(answer, str) and FUNCTION_NAME.fullmatch(answer):
        if not handler_magic.defined(answer):
            report(
                question,
                False,
                f"the code of function {answer}",
                f"it is not in the lab yet: run its `%%handler {answer}` cell first.",
            )
            return None
        answer = handler_magic.source(answer)
    if not isinstance(answer, str) or "def handler" not in answer:
        report(
            question,
            False,
            f"`{name}` should be Python code that defines `handler`",
            "write the module in a `%%handler` cell, or as a string between triple quotes.",
        )
        return None
    return answer

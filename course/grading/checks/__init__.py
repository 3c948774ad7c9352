"""Check helpers for exercise notebooks: each prints one short, deterministic verdict line.

A check cell calls one helper right after its question. The line it prints is what nbval
compares with the solutions notebook, so it must never contain the answer, timings or ids.
Lesson-specific checks live in one module per lesson (`course.checks.pricing`, ...).
"""

from __future__ import annotations

PASS = "correct"
FAIL = "not yet"


def report(question: str, passed: bool, checked: str, hint: str = "") -> bool:
    """Print 'Q1 correct: <what was checked>.' or 'Q1 not yet: <what was checked>. Hint: ...'."""
    line = f"{question} {PASS if passed else FAIL}: {checked}."
    if not passed and hint:
        line += f" Hint: {hint}"
    print(line)
    return passed


def answered(question: str, value: object, name: str) -> bool:
    """Print a 'not yet' verdict when `value` is still the `...` placeholder of the exercise."""
    if value is ...:
        report(
            question,
            False,
            f"`{name}` still holds the placeholder `...`",
            "replace it with your answer.",
        )
        return False
    return True


def answered_with_handler(question: str, source: object, name: str) -> bool:
    """Print a 'not yet' verdict unless `source` is Python code (a string) defining `handler`."""
    if not answered(question, source, name):
        return False
    if not isinstance(source, str) or "def handler" not in source:
        report(
            question,
            False,
            f"`{name}` should be a string of Python code that defines `handler`",
            "put your module's code between triple quotes.",
        )
        return False
    return True

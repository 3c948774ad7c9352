"""Grading: exercise notebooks built from their solutions, and checked against them.

Modules: `exercises` (`lambda-course build`: solutions/ -> exercises/, learner edits backed up),
`notebook_check` (`lambda-course check`: a learner's notebook run with sealed checks and judged
question by question), `sealing` (check cells put back from the course's seal, made from
solutions/ or read from seals/ in a classroom copy; `build --classroom`), `sandbox` (the
Landlock-confined kernel untrusted notebooks run in), `classroom` (`lambda-course grade`: a
whole class in parallel workers, CSV and summary), `checks/` (the per-lesson check helpers
that exercise check cells call; each prints one verdict line that says what is wrong, never
the answer), `hints/` (each question's tiered hints, as data; `lambda-course hint`),
`workspace` (the learner's own copies in `work/`: `lambda-course start 03`, `make check`), and
`self_check` (`check_this_notebook()`, the last cell of every exercise notebook).

Public names: `check`, `check_this_notebook`, `CheckError`, `CheckReport`, `QuestionResult`,
`build`, and `SANITIZE_FILE` (the nbval rules that hide ids, times and ports).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Loaded on first use, so that the sandboxed kernel (`python -m course.grading.sandbox`) starts
# light: it imports this package first.
_PUBLIC = {
    "SANITIZE_FILE": "notebook_check",
    "CheckError": "notebook_check",
    "CheckReport": "notebook_check",
    "QuestionResult": "notebook_check",
    "check": "notebook_check",
    "build": "exercises",
    "check_this_notebook": "self_check",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'course.grading' has no attribute {name!r}")
    return getattr(import_module(f"course.grading.{_PUBLIC[name]}"), name)

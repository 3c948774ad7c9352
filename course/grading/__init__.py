"""Grading: exercise notebooks built from their solutions, and checked against them.

Modules: `exercises` (`lambda-course build`: solutions/ -> exercises/, learner edits backed up),
`notebook_check` (`lambda-course check`: a learner's notebook run under nbval and compared with
the solution, question by question), `checks/` (the per-lesson check helpers that exercise
check cells call; each prints one verdict line and never the answer), and `workspace` (the
learner's own copies in `work/`: `lambda-course start 03`, `make check`).

Public names: `check`, `CheckError`, `CheckReport`, `QuestionResult`, `build`, and
`SANITIZE_FILE` (the nbval rules that hide ids, times and ports).
"""

from course.grading.exercises import build
from course.grading.notebook_check import (
    SANITIZE_FILE,
    CheckError,
    CheckReport,
    QuestionResult,
    check,
)

__all__ = ["SANITIZE_FILE", "CheckError", "CheckReport", "QuestionResult", "build", "check"]

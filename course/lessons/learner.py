"""The learner's own folder, outside the repository: progress, hint levels, quiz history.

It is `~/.lambda-course` unless `LAMBDA_COURSE_HOME` names another folder (tests and nbval's
kernels point it at a temporary one, so they never touch the real home).
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "LAMBDA_COURSE_HOME"


def home() -> Path:
    """The learner's course folder: $LAMBDA_COURSE_HOME, or ~/.lambda-course."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".lambda-course")

"""The learner's workspace: `work/`, where a learner's copies of the exercise notebooks live.

`lambda-course start 03` copies `exercises/03_..._exercises.ipynb` into `work/`, and never
replaces a copy that is already there. git ignores `work/` and pytest does not collect it, so
a learner's half-done answers never break `make test`, and `build` never touches them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from course.grading import exercises
from course.lessons import notebooks

WORK_DIR = "work"


class ResourceNotFoundException(LookupError):
    """No exercise notebook for that lesson."""


@dataclass(frozen=True)
class Started:
    """The learner's copy of an exercise notebook, and whether it was created just now."""

    path: Path
    created: bool

    def message(self, root: Path) -> str:
        """What `lambda-course start` says."""
        shown = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        if self.created:
            return (
                f"Created {shown}: open it in JupyterLab and answer there.\n"
                f"Check it with `make check` or `.venv/bin/lambda-course check {shown}`."
            )
        return f"{shown} already exists: your work is there, and it was not replaced."


def exercise_for(lesson: str, root: Path | None = None) -> Path:
    """The exercise notebook of a lesson number ('03' or '3')."""
    root = root or notebooks.ROOT
    number = lesson.zfill(2) if lesson.isdigit() else lesson
    found = sorted((root / exercises.TARGET_DIR).glob(f"{number}_*{exercises.PATTERN[1:]}"))
    if not found:
        have = sorted(p.name[:2] for p in (root / exercises.TARGET_DIR).glob(exercises.PATTERN))
        raise ResourceNotFoundException(
            f"No exercise notebook for lesson {lesson!r}. "
            f"Lessons with exercises: {', '.join(have)}."
        )
    return found[0]


def start(lesson: str, root: Path | None = None) -> Started:
    """Copy a lesson's exercise notebook into work/, unless the learner already has a copy."""
    root = root or notebooks.ROOT
    source = exercise_for(lesson, root)
    target = root / WORK_DIR / source.name
    target.parent.mkdir(exist_ok=True)
    try:
        with open(target, "xb") as copy:  # "x": fails rather than replace the learner's work
            copy.write(source.read_bytes())
    except FileExistsError:
        return Started(target, created=False)
    shutil.copymode(source, target)
    return Started(target, created=True)


def notebooks_in(folder: Path) -> list[Path]:
    """The exercise notebooks in a folder (what `make check` checks), in name order."""
    return sorted(Path(folder).glob(exercises.PATTERN))

"""Check an exercise notebook from inside it: the last cell of every exercise notebook.

`check_this_notebook()` finds the notebook's own file from the kernel (JupyterLab sets
`JPY_SESSION_NAME`, VS Code sets `__vsc_ipynb_file__`), then runs the same sealed check as
`lambda-course check` on the saved file, in a separate process, and prints its lines. When the
course itself runs the notebook (`lambda-course execute`, nbval, or the grader's kernel), it
prints one fixed line instead, so a check never checks itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from course.lessons import notebooks

SESSION_ENV = "JPY_SESSION_NAME"
VSCODE_NAME = "__vsc_ipynb_file__"
AUTOMATED_LINE = "Self-check skipped: the course is running this notebook itself."
NOT_FOUND = (
    "Cannot tell which file this notebook is. Give its path, for example "
    'check_this_notebook("work/03_pricing_exercises.ipynb"), '
    "or run `make check` in a terminal."
)
TIMEOUT_S = 900


def own_path(user_ns: dict | None = None, env: dict[str, str] | None = None) -> Path | None:
    """The notebook file the running kernel belongs to, or None when the kernel cannot tell."""
    env = os.environ if env is None else env
    if user_ns is None:
        user_ns = _user_namespace()
    for candidate in (user_ns.get(VSCODE_NAME), env.get(SESSION_ENV)):
        if candidate and str(candidate).endswith(".ipynb"):
            path = Path(candidate)
            if path.is_file():
                return path
    return None


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


def check_this_notebook(path: str | Path | None = None, *, root: Path | None = None) -> bool | None:
    """Check this notebook's saved file as `lambda-course check` does and print each question.

    Returns True when every question passes, False when one does not, and None when nothing
    was checked (an automated run, or the file could not be found). Save first: the check
    reads the file on disk, not the cells on screen.
    """
    if os.environ.get(notebooks.AUTOMATED_RUN_ENV):
        print(AUTOMATED_LINE)
        return None
    found = Path(path) if path is not None else own_path()
    if found is None:
        print(NOT_FOUND)
        return None
    print(f"Checking the saved file {found} (save with Ctrl+S first; this takes a minute).")
    command = [sys.executable, "-m", "course.cli", "check", str(found)]
    if root is not None:
        command += ["--root", str(root)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(_python_path())}
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
    )
    print((done.stdout + done.stderr).rstrip())
    return {0: True, 1: False}.get(done.returncode)


def _python_path() -> list[str]:
    paths = [str(notebooks.ROOT), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    return list(dict.fromkeys(p for p in paths if p))

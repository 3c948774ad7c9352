"""Notebook files: read, clean and re-execute them so what is committed is deterministic.

Authors run `lambda-course execute FILE` after editing a notebook: it runs every cell in a
real kernel, stores the outputs and strips what changes on every run (timings, widget
state, view state), so a re-run produces the same file and nbval can compare outputs.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.corpus.words import generate_corpus_id

from course.lessons.learner import HOME_ENV

ROOT = Path(__file__).resolve().parents[2]
OFFLINE_DIR = ROOT / "tests" / "offline"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Cell and notebook metadata that change on every run or only record view state.
VOLATILE_CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter")
VOLATILE_NOTEBOOK_KEYS = ("widgets", "toc", "varInspector", "vscode")
CELL_TIMEOUT_S = 120
# Set in every kernel the course runs by itself (execute, nbval, `lambda-course check`), so a
# cell such as an exercise's self-check can tell a learner's run from an automated one.
AUTOMATED_RUN_ENV = "LAMBDA_COURSE_AUTOMATED_RUN"


class NotebookFileError(ValueError):
    """A file is missing, or is not a Jupyter notebook."""


def read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook file, with a clear error when it is missing or not a notebook."""
    path = Path(path)
    if not path.is_file():
        raise NotebookFileError(f"No such notebook: {path}")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        raise NotebookFileError(f"{path} is not a Jupyter notebook ({error}).") from error


def render(nb: nbformat.NotebookNode) -> str:
    """The exact text of a notebook file (nbformat's layout plus a trailing newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook file in the layout `render` gives."""
    Path(path).write_text(render(nb), encoding="utf-8")


def volatile_metadata(nb: nbformat.NotebookNode) -> list[str]:
    """Where a notebook holds metadata that `clean` strips (empty when the file is clean)."""
    found = [f"notebook metadata '{key}'" for key in VOLATILE_NOTEBOOK_KEYS if key in nb.metadata]
    for index, cell in enumerate(nb.cells):
        found += [
            f"cell {index} metadata '{key}'" for key in VOLATILE_CELL_KEYS if key in cell.metadata
        ]
        for output in cell.get("outputs", []):
            if "execution" in output.get("metadata", {}):
                found.append(f"cell {index} output metadata 'execution'")
    return found


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy without volatile metadata, as nbformat 4.5 with cell ids."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    for key in VOLATILE_NOTEBOOK_KEYS:
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            for output in cell.outputs:
                output.get("metadata", {}).pop("execution", None)
        if "id" not in cell:
            cell["id"] = generate_corpus_id()
    return nb


def offline_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of `env` in which new Python processes start with the network guard on."""
    env = dict(env)
    paths = env.get("PYTHONPATH", "").split(os.pathsep)
    if OFFLINE_DIR.is_dir() and str(OFFLINE_DIR) not in paths:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(OFFLINE_DIR), *paths) if p)
    return env


def pytest_configure(config) -> None:
    """Pytest hook (`-p course.lessons.notebooks`): nbval's kernels start offline, and tests
    and notebooks keep progress in a temporary home, never the learner's."""
    os.environ.update(offline_env(os.environ))
    home = tempfile.mkdtemp(prefix="lambda-course-home-")
    os.environ[HOME_ENV] = home
    os.environ[AUTOMATED_RUN_ENV] = "nbval"
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


def execute(path: Path) -> None:
    """Run every cell of a notebook in a fresh python3 kernel and store the cleaned result.

    The kernel starts in the notebook's folder with the network guard on (when the course's
    tests/offline folder is present) and an empty learner folder, so stored outputs never
    depend on the internet or on the author's own progress.
    """
    path = Path(path)
    nb = read(path)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    home = tempfile.mkdtemp(prefix="lambda-course-home-")  # never the author's own progress
    try:
        client.execute(
            env=offline_env({**os.environ, AUTOMATED_RUN_ENV: "execute", HOME_ENV: home})
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    write(clean(nb), path)

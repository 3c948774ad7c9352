"""Every committed notebook is clean, executed in order, small-celled and runs offline."""

import os
import subprocess
import sys

import nbformat
import pytest

from course.grading import exercises
from course.lessons import notebooks

ROOT = notebooks.ROOT
EXECUTED = sorted((ROOT / "notebooks").glob("*.ipynb")) + exercises.sources()
GENERATED = sorted(p for p in (ROOT / "exercises").glob("*.ipynb") if not exercises.is_backup(p))
EVERY = [p for p in EXECUTED + GENERATED if not exercises.is_backup(p)]
MAX_CODE_LINES = 15
MAX_MARKDOWN_LINES = 25
LONG_OK = "long-ok"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def names(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


@pytest.mark.parametrize("path", EVERY, ids=names(EVERY))
def test_valid_nbformat_45_with_ids_and_python3_kernel(path):
    nb = notebooks.read(path)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert all(cell.get("id") for cell in nb.cells)
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", EVERY, ids=names(EVERY))
def test_no_volatile_metadata(path):
    problems = notebooks.volatile_metadata(notebooks.read(path))
    assert problems == [], f"run `lambda-course execute {path.relative_to(ROOT)}`: {problems}"


@pytest.mark.parametrize("path", EVERY, ids=names(EVERY))
def test_cells_are_small(path):
    for index, cell in enumerate(notebooks.read(path).cells):
        limit = MAX_CODE_LINES if cell.cell_type == "code" else MAX_MARKDOWN_LINES
        if LONG_OK not in cell.metadata.get("tags", []):
            lines = len(cell.source.splitlines())
            assert lines <= limit, f"cell {index} has {lines} lines (limit {limit}); move logic"


@pytest.mark.parametrize("path", EXECUTED, ids=names(EXECUTED))
def test_every_code_cell_executed_in_order_with_outputs_stored(path):
    code = [c for c in notebooks.read(path).cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert any(c.outputs for c in code), "no outputs stored: run `lambda-course execute`"


@pytest.mark.parametrize("path", GENERATED, ids=names(GENERATED))
def test_exercises_carry_no_outputs(path):
    for cell in notebooks.read(path).cells:
        if cell.cell_type == "code":
            assert (cell.outputs, cell.execution_count) == ([], None)


@pytest.mark.parametrize("path", EXECUTED, ids=names(EXECUTED))
def test_widget_cells_are_tagged_nbval_ignore_output(path):
    for index, cell in enumerate(notebooks.read(path).cells):
        shows_widget = any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", []))
        if shows_widget:
            assert "nbval-ignore-output" in cell.metadata.get("tags", []), f"cell {index}"


def test_volatile_metadata_is_found_and_cleaned():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nb.metadata["widgets"] = {"state": {}}
    nb.cells[0].metadata.update(collapsed=True, execution={"iopub.status.busy": "2026"})
    assert notebooks.volatile_metadata(nb) == [
        "notebook metadata 'widgets'",
        "cell 0 metadata 'execution'",
        "cell 0 metadata 'collapsed'",
    ]
    assert notebooks.volatile_metadata(notebooks.clean(nb)) == []


def test_kernels_nbval_starts_cannot_leave_the_machine(tmp_path):
    """A real kernel under nbval: a connection to a public address fails with the guard."""
    cell = nbformat.v4.new_code_cell(
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 443), timeout=2)\n"
        "except OSError as error:\n"
        "    print(type(error).__name__)"
    )
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="NetworkBlockedError\n")]
    cell.execution_count = 1
    path = tmp_path / "guard.ipynb"
    notebooks.write(notebooks.clean(nbformat.v4.new_notebook(cells=[cell])), path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            f"--rootdir={tmp_path}",
            str(path),
        ],
        cwd=tmp_path,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout

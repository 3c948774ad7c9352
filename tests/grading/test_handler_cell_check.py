"""`lambda-course check` on an exercise answered in a `%%handler` cell: the magic loads in the
check's fresh kernel, deploys the learner's code, and the check judges the function."""

import shutil
from pathlib import Path

import pytest

from course import grading
from course.grading import exercises
from course.lessons import notebooks

RESOURCES = Path(__file__).parents[1] / "resources"
NAME = "02_demo_exercises.ipynb"
RIGHT = 'def handler(event, context):\n    return 2 * event["x"]'
WRONG = 'def handler(event, context):\n    return event["x"]'


@pytest.fixture
def exercise(tmp_path: Path) -> Path:
    """A tiny course: the solution with a %%handler cell, and the exercise built from it."""
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    solution = tmp_path / "solutions" / NAME
    shutil.copy(RESOURCES / "solution-handler-cell.ipynb", solution)
    target = tmp_path / "exercises" / NAME
    notebooks.write(exercises.generate(notebooks.read(solution), f"solutions/{NAME}"), target)
    return target


def answer(path: Path, body: str) -> Path:
    """The learner writes `body` under the cell's %%handler line and saves the notebook."""
    nb = notebooks.read(path)
    cell = next(c for c in nb.cells if c.id == "q1-code")
    cell.source = cell.source.splitlines()[0] + "\n" + body
    notebooks.write(nb, path)
    return path


def test_the_exercise_keeps_the_magic_line_above_a_failing_handler(exercise):
    cell = next(c for c in notebooks.read(exercise).cells if c.id == "q1-code")
    lines = cell.source.splitlines()
    assert lines[0] == "%%handler q1-double --memory 256"
    assert "def handler(event, context):" in lines
    assert 'raise NotImplementedError("Q1: write your handler in this cell.")' in cell.source


def test_the_stub_handler_is_not_yet(exercise):
    report = grading.check(exercise, exercise.parents[1])
    assert [q.passed for q in report.questions] == [False], report.summary()
    assert report.questions[0].verdict.startswith("Q1 not yet: function q1-double doubles x.")
    assert not report.notes, report.notes  # the magic loaded and deployed without an error


def test_a_wrong_handler_is_not_yet_and_a_right_one_passes(exercise):
    root = exercise.parents[1]
    wrong = grading.check(answer(exercise, WRONG), root)
    assert "The answer is not twice x." in wrong.questions[0].verdict
    assert grading.check(answer(exercise, RIGHT), root).passed

"""The exercise generator: solutions/ is the source, exercises/ is generated, never hand-kept."""

import shutil
from pathlib import Path

import pytest

from course.grading import exercises
from course.lessons import notebooks

RESOURCES = Path(__file__).parents[1] / "resources"
SOLUTION = RESOURCES / "solution-two-questions.ipynb"
NAME = "01_demo_exercises.ipynb"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A tiny course tree with one solutions notebook."""
    (tmp_path / "solutions").mkdir()
    shutil.copy(SOLUTION, tmp_path / "solutions" / NAME)
    return tmp_path


def cells_by_id(path: Path) -> dict:
    return {cell.id: cell for cell in notebooks.read(path).cells}


def test_cell_tagged_solution_becomes_a_stub_that_fails_clearly(root):
    exercises.build(root)
    cell = cells_by_id(root / "exercises" / NAME)["q2-code"]
    assert "return 2 * x" not in cell.source
    assert 'raise NotImplementedError("Q2: write your solution in this cell.")' in cell.source
    assert "tags" not in cell.metadata


def test_code_from_the_marker_on_is_cut_and_the_placeholder_kept(root):
    exercises.build(root)
    assert cells_by_id(root / "exercises" / NAME)["q1-code"].source == "answer = ..."


def test_ids_kept_outputs_cleared_check_tags_kept(root):
    exercises.build(root)
    solution, exercise = notebooks.read(SOLUTION), notebooks.read(root / "exercises" / NAME)
    assert [c.id for c in exercise.cells] == [c.id for c in solution.cells]
    assert any(c.get("outputs") for c in solution.cells)
    for cell in exercise.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert cells_by_id(root / "exercises" / NAME)["q1-check"].metadata.tags == ["check"]
    assert exercise.metadata.kernelspec.name == "python3"


def test_build_twice_changes_nothing(root):
    assert [s.action for s in exercises.build(root)] == ["created"]
    before = (root / "exercises" / NAME).read_bytes()
    assert [s.action for s in exercises.build(root)] == ["unchanged"]
    assert (root / "exercises" / NAME).read_bytes() == before


def test_stale_when_a_solution_changes_until_rebuilt(root):
    exercises.build(root)
    assert exercises.stale(root) == []
    solution = notebooks.read(root / "solutions" / NAME)
    solution.cells[0].source += "\nA new sentence."
    notebooks.write(solution, root / "solutions" / NAME)
    assert exercises.stale(root) == [
        f"exercises/{NAME} is missing or out of date: run `lambda-course build`."
    ]
    exercises.build(root)
    assert exercises.stale(root) == []


def test_stale_names_an_exercise_without_a_solution(root):
    exercises.build(root)
    shutil.copy(root / "exercises" / NAME, root / "exercises" / "02_orphan_exercises.ipynb")
    assert exercises.stale(root) == [
        "exercises/02_orphan_exercises.ipynb has no source in solutions/."
    ]


def edit_solution_and_exercise(root: Path, answer: str) -> bytes:
    solution = notebooks.read(root / "solutions" / NAME)
    solution.cells[0].source += "!"
    notebooks.write(solution, root / "solutions" / NAME)
    exercise = notebooks.read(root / "exercises" / NAME)
    exercise.cells[3].source = answer
    notebooks.write(exercise, root / "exercises" / NAME)
    return (root / "exercises" / NAME).read_bytes()


def test_edited_exercise_is_backed_up_before_it_is_replaced(root):
    exercises.build(root)
    first = edit_solution_and_exercise(root, "answer = 42")
    [step] = exercises.build(root)
    assert step.backup == root / "exercises" / "01_demo_exercises.bak.ipynb"
    assert "saved first as 01_demo_exercises.bak.ipynb" in str(step)
    assert step.backup.read_bytes() == first
    assert exercises.stale(root) == []

    second = edit_solution_and_exercise(root, "answer = 6 * 7")
    [step] = exercises.build(root)
    assert step.backup == root / "exercises" / "01_demo_exercises.2.bak.ipynb"
    assert step.backup.read_bytes() == second
    assert (root / "exercises" / "01_demo_exercises.bak.ipynb").read_bytes() == first


def test_unedited_exercise_is_replaced_without_a_backup(root):
    exercises.build(root)
    solution = notebooks.read(root / "solutions" / NAME)
    solution.cells[0].source += "!"
    notebooks.write(solution, root / "solutions" / NAME)
    [step] = exercises.build(root)
    assert (step.action, step.backup) == ("written", None)
    assert list((root / "exercises").glob("*.bak.ipynb")) == []


def test_shipped_exercises_match_their_solutions():
    assert exercises.stale() == []

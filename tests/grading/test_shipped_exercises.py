"""Every shipped exercise fails its checks as handed out, and passes with the solution put back."""

from pathlib import Path

import pytest

from course import grading
from course.grading import exercises
from course.lessons import notebooks

SOLUTIONS = exercises.sources()


def exercise_for(solution: Path) -> Path:
    return notebooks.ROOT / exercises.TARGET_DIR / solution.name


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_shipped_exercise_is_not_yet_on_every_question(solution):
    report = grading.check(exercise_for(solution))
    assert report.questions, "the solution has no check cells"
    for question in report.questions:
        assert str(question).startswith(f"{question.question} not yet | "), report.summary()
    assert not report.passed


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_exercise_with_the_solution_code_put_back_passes(solution, tmp_path):
    answers = {
        cell.id: cell.source
        for cell in notebooks.read(solution).cells
        if cell.cell_type == "code" and exercises.is_solution_cell(cell)
    }
    nb = notebooks.read(exercise_for(solution))
    for cell in nb.cells:
        if cell.id in answers:
            cell.source = answers[cell.id]
    filled = tmp_path / solution.name
    notebooks.write(nb, filled)
    report = grading.check(filled)
    assert report.passed, report.summary()

"""The grader: a learner's notebook runs under nbval against the solution's check outputs."""

import re
import shutil
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

from course import grading
from course.lessons import notebooks

RESOURCES = Path(__file__).parents[1] / "resources"
NAME = "01_demo_exercises.ipynb"
NOT_YET_Q1 = "Q1 not yet | Q1 not yet: `answer` still holds the placeholder `...`."
NOT_YET_Q2 = "Q2 not yet | Q2 not yet: `double(21)` returns 42."


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A tiny course tree: one solutions notebook, and exercises/ ready for a learner file."""
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    shutil.copy(RESOURCES / "solution-two-questions.ipynb", tmp_path / "solutions" / NAME)
    return tmp_path


def learner(root: Path, fixture: str) -> Path:
    target = root / "exercises" / NAME
    shutil.copy(RESOURCES / fixture, target)
    return target


def test_fresh_exercise_is_not_yet_on_every_question(root):
    report = grading.check(learner(root, "exercise-two-questions-all-not-yet.ipynb"), root)
    text = report.summary()
    assert not report.passed
    assert NOT_YET_Q1 in text and NOT_YET_Q2 in text
    assert "Note: code cell 4 (in Q2) raised NotImplementedError" in text
    assert text.endswith("0 of 2 questions pass.")


def test_one_question_passes_and_the_learner_file_is_untouched(root):
    path = learner(root, "exercise-two-questions-q1-pass-q2-not-yet.ipynb")
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    report = grading.check(path, root)
    assert [(q.question, q.passed) for q in report.questions] == [("Q1", True), ("Q2", False)]
    assert "Q1 pass    | Q1 correct: `answer` is six times seven." in report.summary()
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, mtime)


def test_a_wrong_answer_is_not_yet_with_what_is_wrong(root):
    report = grading.check(learner(root, "exercise-two-questions-q1-wrong-q2-pass.ipynb"), root)
    assert [q.passed for q in report.questions] == [False, True]
    assert report.questions[0].verdict == (
        'Q1 not yet: `answer` is six times seven. Multiply 6 by 7. For a hint, run hint("Q1").'
    )


def test_solution_passes_even_when_cell_ids_changed(root):
    nb = notebooks.read(RESOURCES / "solution-two-questions.ipynb")
    for number, cell in enumerate(nb.cells):
        cell.id = f"renamed-{number}"  # check cells are then matched by order
    notebooks.write(nb, root / "exercises" / NAME)
    report = grading.check(root / "exercises" / NAME, root)
    assert report.passed, report.summary()
    assert report.summary().endswith("2 of 2 questions pass.")


def test_missing_file_is_a_clear_error(root):
    with pytest.raises(grading.CheckError, match="No such notebook: .*nowhere.ipynb"):
        grading.check(root / "exercises" / "nowhere.ipynb", root)


def test_a_file_that_is_not_a_notebook_is_a_clear_error(root):
    with pytest.raises(grading.CheckError, match="is not a Jupyter notebook"):
        grading.check(learner(root, "not-a-notebook.ipynb"), root)


def test_a_notebook_without_a_solution_is_a_clear_error(root):
    nb = notebooks.read(RESOURCES / "solution-two-questions.ipynb")
    nb.metadata.pop("lambda_course", None)
    notebooks.write(nb, root / "exercises" / "99_unknown.ipynb")
    with pytest.raises(grading.CheckError, match="has no matching solution"):
        grading.check(root / "exercises" / "99_unknown.ipynb", root)


def sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns(grading.SANITIZE_FILE.read_text()):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("RequestId: 3f1c9a2e-1b2c-4d5e-8f90-123456789abc", "RequestId: REQUEST-ID"),
        ("{'RequestId': 'S5K3jQwErTy7Zx'}", "{'RequestId': 'REQUEST-ID'}"),
        ("'x-amzn-requestid': 'AB12cd', 'x-amz-id-2': 'Zm9v+/='", None),
        ("id 0b4c1d2e-aaaa-4bbb-8ccc-0123456789ab done", "id UUID done"),
        ("at 2026-11-26T14:18:29.123456+00:00.", "at TIMESTAMP."),
        ("at 2026-11-26 14:18:29Z", "at TIMESTAMP"),
        ("datetime.datetime(2026, 11, 26, 14, 18, 29, tzinfo=tzutc())", "TIMESTAMP"),
        ("<object at 0x7f3a2b1c9d80>", "<object at 0xADDRESS>"),
        (
            "Duration: 12.34 ms\tBilled Duration: 13 ms",
            "Duration: DURATION ms\tBilled Duration: DURATION ms",
        ),
        ("Init Duration: 250.01 ms", "Init Duration: DURATION ms"),
        ("Max Memory Used: 53 MB", "Max Memory Used: MEMORY MB"),
        ("http://127.0.0.1:54321/ and localhost:8001", "http://127.0.0.1:PORT/ and localhost:PORT"),
        ("2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef", "LOG-STREAM"),
    ],
)
def test_sanitize_rules_hide_what_changes_between_runs(raw, clean):
    if clean is None:
        assert sanitize(raw) == "'x-amzn-requestid': 'REQUEST-ID', 'x-amz-id-2': 'REQUEST-ID'"
    else:
        assert sanitize(raw) == clean


@pytest.mark.parametrize(
    "stable",
    ["as of 2026-11-20", "Memory Size: 128 MB", "10,240 MB", "0x1F", "Q1 correct: 42 ms total."],
)
def test_sanitize_rules_leave_stable_text_alone(stable):
    assert sanitize(stable) == stable

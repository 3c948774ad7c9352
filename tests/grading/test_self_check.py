"""check_this_notebook: the exercise notebooks' last cell checks their own saved file."""

import shutil
from pathlib import Path

import nbformat
import pytest

from course import grading
from course.grading import check_this_notebook, self_check
from course.lessons import notebooks

RESOURCES = Path(__file__).parents[1] / "resources"
NAME = "01_demo_exercises.ipynb"


@pytest.fixture
def learner_run(monkeypatch):
    """A learner's kernel: not started by the course, so the check really runs."""
    monkeypatch.delenv(notebooks.AUTOMATED_RUN_ENV, raising=False)
    monkeypatch.delenv(self_check.SESSION_ENV, raising=False)


def test_jupyterlab_session_name_gives_the_notebook(tmp_path):
    notebook = tmp_path / "03_pricing_exercises.ipynb"
    notebook.write_text("{}")
    assert self_check.own_path({}, {self_check.SESSION_ENV: str(notebook)}) == notebook


def test_vscode_name_wins_over_a_stale_session_name(tmp_path):
    notebook = tmp_path / "renamed.ipynb"
    notebook.write_text("{}")
    env = {self_check.SESSION_ENV: str(tmp_path / "old-name.ipynb")}
    assert self_check.own_path({self_check.VSCODE_NAME: str(notebook)}, env) == notebook


@pytest.mark.parametrize("name", ["gone.ipynb", "console-1", ""])
def test_no_such_notebook_file_is_no_path(tmp_path, name):
    assert self_check.own_path({}, {self_check.SESSION_ENV: str(tmp_path / name)}) is None


def test_without_a_path_the_learner_is_told_how_to_give_one(learner_run, capsys):
    assert check_this_notebook() is None
    out = capsys.readouterr().out
    assert out.strip() == self_check.NOT_FOUND
    assert "check_this_notebook(" in out


def test_an_automated_run_prints_the_fixed_line_and_checks_nothing(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(notebooks.AUTOMATED_RUN_ENV, "check")
    assert check_this_notebook(tmp_path / "not-there.ipynb") is None
    assert capsys.readouterr().out == self_check.AUTOMATED_LINE + "\n"


def test_checks_the_saved_file_with_sealed_checks(learner_run, capsys, tmp_path, monkeypatch):
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    shutil.copy(RESOURCES / "solution-two-questions.ipynb", root / "solutions" / NAME)
    work = tmp_path / NAME
    shutil.copy(RESOURCES / "exercise-two-questions-q1-pass-q2-not-yet.ipynb", work)
    monkeypatch.setenv(self_check.SESSION_ENV, str(work))
    assert check_this_notebook(root=root) is False
    out = capsys.readouterr().out
    assert f"Checking {work} against solutions/{NAME}:" in out
    assert "Q1 pass    |" in out
    assert "Q2 not yet | Q2 not yet: `double(21)` returns 42." in out
    assert "1 of 2 questions pass." in out


@pytest.mark.parametrize(("tags", "notes"), [(["self-check"], 0), ([], 1)])
def test_the_grader_never_runs_the_self_check_cell(tmp_path, tags, notes):
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    shutil.copy(RESOURCES / "solution-two-questions.ipynb", root / "solutions" / NAME)
    nb = notebooks.read(RESOURCES / "exercise-two-questions-q1-pass-q2-not-yet.ipynb")
    last = nbformat.v4.new_code_cell('raise RuntimeError("the self-check ran")')
    last.metadata["tags"] = tags
    nb.cells.append(last)
    notebooks.write(nb, tmp_path / NAME)
    report = grading.check(tmp_path / NAME, root)
    assert [q.outcome for q in report.questions] == ["pass", "not yet"]
    assert len([n for n in report.notes if "the self-check ran" in n]) == notes

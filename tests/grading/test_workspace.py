"""The learner's own work: `lambda-course start NN` copies an exercise into work/, `make check`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course import cli
from course.grading import workspace
from course.lessons import notebooks

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "tests" / "resources"
NAME = "03_pricing_exercises.ipynb"


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """A course tree with one exercise notebook, so the real work/ is never touched."""
    (tmp_path / "exercises").mkdir()
    shutil.copy(
        RESOURCES / "exercise-two-questions-all-not-yet.ipynb", tmp_path / "exercises" / NAME
    )
    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    return tmp_path


def test_start_copies_the_exercise_into_work_and_never_replaces_the_learners_copy(root, capsys):
    assert cli.main(["start", "3"]) == 0
    copy = root / "work" / NAME
    assert copy.read_bytes() == (root / "exercises" / NAME).read_bytes()
    assert capsys.readouterr().out.startswith(f"Created work/{NAME}: open it in JupyterLab")

    copy.write_text("my answers")
    assert cli.main(["start", "03"]) == 0
    assert copy.read_text() == "my answers"
    assert (
        capsys.readouterr().out
        == f"work/{NAME} already exists: your work is there, and it was not replaced.\n"
    )


def test_start_names_the_lessons_that_have_exercises(root, capsys):
    assert cli.main(["start", "09"]) == 2
    assert capsys.readouterr().err == (
        "ResourceNotFoundException: No exercise notebook for lesson '09'. "
        "Lessons with exercises: 03.\n"
    )
    assert not (root / "work").exists()


def test_check_of_a_folder_checks_each_notebook_and_an_empty_one_says_how_to_start(root, capsys):
    (root / "work").mkdir()
    assert cli.main(["check", str(root / "work")]) == 2
    assert "start one with `.venv/bin/lambda-course start 03`" in capsys.readouterr().out
    workspace.start("03", root)
    (root / "work" / "notes.txt").write_text("not a notebook")
    assert [p.name for p in workspace.notebooks_in(root / "work")] == [NAME]


def test_make_check_checks_the_work_folder_with_the_venv_command():
    done = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", "--old-file=.venv/.installed", "check"],
        cwd=REPO,  # --dry-run runs nothing; --no-print-directory: also when run under make
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == ".venv/bin/lambda-course check work"


def test_pytest_and_git_ignore_a_learners_work(tmp_path):
    for name in ("pyproject.toml", ".gitignore"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_ok.py").write_text("def test_ok():\n    pass\n")
    (tmp_path / "work").mkdir()
    shutil.copy(RESOURCES / "exercise-two-questions-all-not-yet.ipynb", tmp_path / "work" / NAME)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            ".",
            "tests",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "tests/test_ok.py::test_ok" in done.stdout, done.stdout + done.stderr
    assert "work/" not in done.stdout
    assert "work/" in (REPO / ".gitignore").read_text().splitlines()

"""The progress file: what is recorded, how it survives crashes and bad files, and mastery."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import matplotlib
import pytest

from course import cli
from course.exam import progress
from course.exam.progress import ProgressFileWarning
from course.grading import CheckReport, QuestionResult
from course.lessons import learner

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_the_file_lives_in_the_learner_home_unless_the_environment_says_otherwise(
    monkeypatch, tmp_path
):
    assert progress.progress_file() == tmp_path / "home" / "progress.json"
    monkeypatch.delenv(learner.HOME_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "someone"))
    assert progress.progress_file() == tmp_path / "someone" / ".lambda-course" / "progress.json"


def test_answers_and_checks_are_recorded_with_their_time(tmp_path):
    progress.record_answer("t-bill", True, at=T0)
    progress.record_checks("work/03_pricing_exercises.ipynb", [("Q1", True, "Q1 correct: x.")], T0)
    saved = json.loads(progress.progress_file().read_text())
    assert saved["answers"] == [{"question": "t-bill", "right": True, "at": T0.isoformat()}]
    assert saved["checks"] == [
        {
            "notebook": "03_pricing_exercises.ipynb",
            "question": "Q1",
            "passed": True,
            "verdict": "Q1 correct: x.",
            "at": T0.isoformat(),
        }
    ]
    assert progress.load().answers[0].when == T0


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(monkeypatch):
    progress.record_answer("t-bill", True, at=T0)
    before = progress.progress_file().read_bytes()

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        progress.record_answer("t-role", False, at=T0)
    assert progress.progress_file().read_bytes() == before
    assert sorted(p.name for p in progress.home().iterdir()) == [
        ".progress.json.lock",
        "progress.json",
    ]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 99}', b'{"version": 1, "answers": [{"question": "q"}]}', b"[]"],
)
def test_a_corrupt_file_is_backed_up_with_a_warning_never_overwritten(content):
    home = progress.home()
    home.mkdir(parents=True)
    progress.progress_file().write_bytes(content)
    with pytest.warns(ProgressFileWarning, match="could not be read") as caught:
        progress.record_answer("t-bill", True, at=T0)
    backups = sorted(home.glob("progress.corrupt-*.json"))
    assert [b.read_bytes() for b in backups] == [content]
    assert str(backups[0]) in str(caught[0].message)
    assert len(progress.load().answers) == 1

    progress.progress_file().write_bytes(content)  # corrupt again, in the same second
    with pytest.warns(ProgressFileWarning):
        progress.load()
    assert sorted(b.read_bytes() for b in home.glob("progress.corrupt-*.json")) == [content] * 2


def test_mastery_counts_the_last_answer_of_each_question(bank):
    for question_id, right in [("t-bill", False), ("t-bill", True), ("t-free-tier", True)]:
        progress.record_answer(question_id, right, at=T0)
    progress.record_answer("t-role", True, at=T0)
    progress.record_answer("t-role", False, at=T0.replace(hour=10))
    progress.record_checks(
        "03_pricing_exercises.ipynb", [("Q1", False, "no"), ("Q2", True, "ok")], T0
    )
    progress.record_checks("03_pricing_exercises.ipynb", [("Q1", True, "ok")], T0)
    mine = progress.load()
    assert [(c.question, c.verdict) for c in mine.checks] == [("Q2", "ok"), ("Q1", "ok")]
    lessons = {row.key: row for row in progress.by_lesson(mine, bank, {"03": "Pricing"})}
    assert lessons["03"] == progress.Mastery("03", "Pricing", 2, 2, 2, 2, 2)
    assert lessons["01"].answered == 1 and lessons["01"].mastered == 0
    assert lessons["02"].percent == 0 and lessons["02"].total == 2
    tasks = {row.key: row for row in progress.by_task(mine, bank)}
    assert (tasks["SAA-C03:4.1"].mastered, tasks["SAA-C03:4.1"].total) == (2, 3)
    assert tasks["SAA-C03:4.1"].percent == 67


def test_chart_data_and_plot_show_one_bar_per_row(bank):
    progress.record_answer("t-free-tier", True, at=T0)
    rows = progress.by_lesson(progress.load(), bank, {"03": "Pricing"})
    data = progress.chart_data(rows)
    assert [d["label"] for d in data] == ["01", "02", "03 Pricing", "04"]
    assert data[2]["percent"] == 50 and data[2]["mastered"] == 1 and data[2]["total"] == 2
    matplotlib.use("Agg")
    ax = progress.plot(rows)
    assert [round(bar.get_width()) for bar in ax.patches] == [0, 0, 50, 0]
    assert ax.get_xlim() == (0, 100)
    default = progress.chart_data()  # the learner's file against the bank in use
    assert default[2]["label"] == "03 Pricing" and default[2]["percent"] == 50


def test_cli_progress_shows_lessons_and_task_statements(capsys):
    progress.record_answer("t-free-tier", True, at=T0)
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "  03 Pricing" in out and "1 of 2   mastered (50%), 1 answered" in out
    assert (
        "  DVA-C02:1.1    1 of 2   mastered (50%)  Develop code for applications hosted on AWS"
        in out
    )


def test_cli_check_keeps_each_verdict(monkeypatch):
    report = CheckReport(
        "work/03_pricing_exercises.ipynb",
        "solutions/03_pricing_exercises.ipynb",
        (
            QuestionResult("Q1", "pass", "Q1 correct: a."),
            QuestionResult("Q2", "not yet", "Q2 not yet: b."),
        ),
        (),
    )
    monkeypatch.setattr(cli.grading, "check", lambda path, *rest, **options: report)
    assert cli.main(["check", "work/03_pricing_exercises.ipynb"]) == 1
    checks = progress.load().checks
    assert [(c.notebook, c.question, c.passed) for c in checks] == [
        ("03_pricing_exercises.ipynb", "Q1", True),
        ("03_pricing_exercises.ipynb", "Q2", False),
    ]
    assert Path(progress.progress_file()).is_file()


def test_a_test_run_never_uses_the_real_home(monkeypatch):
    monkeypatch.undo()  # the environment pytest itself set up, without this folder's fixture
    assert progress.home() != Path.home() / ".lambda-course"
    assert Path(os.environ[learner.HOME_ENV]).name.startswith("lambda-course-home-")


def test_the_cli_names_the_backup_of_a_corrupt_file_in_one_plain_line(capsys):
    progress.home().mkdir(parents=True)
    progress.progress_file().write_text("{half a file")
    assert cli.main(["progress"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"Warning: {progress.progress_file()} could not")
    assert "progress.corrupt-" in err[0] and "a new progress file starts now" in err[0]

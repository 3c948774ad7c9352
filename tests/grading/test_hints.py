"""Tiered hints: each call reveals the next level, per learner, in a file outside the course."""

import json

import pytest

from course import cli
from course.grading import exercises, hints
from course.grading.checks import report
from course.lessons import learner, notebooks


@pytest.fixture(autouse=True)
def learner_home(tmp_path, monkeypatch):
    """Every test here is a new learner whose own folder is tmp_path."""
    monkeypatch.setenv(learner.HOME_ENV, str(tmp_path))
    return tmp_path


def solution_questions():
    """lesson number -> the questions ('Q1', ...) of its solutions notebook."""
    found = {}
    for path in exercises.sources():
        cells = notebooks.read(path).cells
        labels = {exercises.question_of(cells, i) for i in range(len(cells) + 1)}
        found[hints.lesson_of(path)] = sorted(label for label in labels if label)
    return found


def test_every_exercise_question_has_at_least_two_levels_and_no_stray_ones():
    questions = solution_questions()
    assert questions  # the course ships exercises
    for lesson, labels in questions.items():
        table = hints.questions(lesson)
        assert sorted(table) == labels, lesson
        for question, levels in table.items():
            assert len(levels) >= 2, (lesson, question)
            assert all(text.strip() for text in levels), (lesson, question)


def test_each_call_reveals_the_next_level_then_stays_on_the_last(learner_home):
    levels = hints.levels("02", "Q3")
    lines = [hints.reveal("02", "Q3") for _ in range(len(levels) + 1)]
    for number, (line, text) in enumerate(zip(lines, levels, strict=False), 1):
        assert line.startswith(f"Q3 hint {number} of {len(levels)}: {text}")
    assert "For the next one" in lines[0] and "last hint" in lines[-1]
    assert lines[-1] == lines[-2]
    assert hints.shown("02", "Q3") == len(levels)


def test_levels_are_kept_per_question_and_per_lesson_in_the_learners_file(learner_home):
    hints.reveal("02", "q1")  # any case
    hints.reveal("02", "Q1")
    hints.reveal("03", "Q1")
    assert (hints.shown("02", "Q1"), hints.shown("03", "Q1"), hints.shown("02", "Q2")) == (2, 1, 0)
    state = json.loads((learner_home / hints.STATE_FILE).read_text())
    assert state == {"02": {"Q1": 2}, "03": {"Q1": 1}}


def test_nothing_is_written_into_the_course(learner_home):
    before = sorted(p.name for p in hints.FOLDER.iterdir())
    hints.reveal("01", "Q4")
    assert sorted(p.name for p in hints.FOLDER.iterdir()) == before
    assert (learner_home / hints.STATE_FILE).is_file()


def test_a_damaged_state_file_starts_over(learner_home):
    (learner_home / hints.STATE_FILE).write_text("{not json")
    assert hints.reveal("04", "Q2").startswith("Q2 hint 1 of ")


def test_unknown_questions_and_lessons_say_what_exists():
    with pytest.raises(hints.HintNotFoundError, match="its questions are Q1, Q2"):
        hints.reveal("02", "Q42")
    with pytest.raises(hints.HintNotFoundError, match="No hints for lesson '77'"):
        hints.levels("77", "Q1")
    with pytest.raises(hints.HintNotFoundError, match="does not start with a lesson number"):
        hints.lesson_of("my_notebook.ipynb")


def test_the_notebook_hint_prints_the_next_level(capsys):
    from course.grading.checks.pricing import hint

    hint("Q2")
    hint("Q2")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Q2 hint 1 of ") and out[1].startswith("Q2 hint 2 of ")
    assert 'run hint("Q2") again' in out[0]


def test_the_terminal_hint_reads_the_lesson_from_the_file_name(capsys):
    path = "exercises/03_pricing_exercises.ipynb"
    assert cli.main(["hint", path, "Q1"]) == 0
    assert cli.main(["hint", path, "Q1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("Q1 hint 2 of ") and "run this command again" in out[1]
    assert cli.main(["hint", path, "Q99"]) == 2
    assert "its questions are" in capsys.readouterr().err


def test_a_not_yet_verdict_points_to_the_hints(capsys):
    report("Q5", False, "the total", "your number is too high.")
    assert capsys.readouterr().out == (
        'Q5 not yet: the total. Your number is too high. For a hint, run hint("Q5").\n'
    )

"""The quiz: reading answers, marking them, and `lambda-course quiz` run from a script."""

import io
import json
import os
import pty
import re
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from course import cli
from course.exam import question_bank, quiz
from course.exam.quiz import InvalidAnswer, QuizSession, Response

from .conftest import BANK


def test_letters_and_numbers_are_read_the_ways_people_type_them(by_id):
    multiple, single, bill = by_id["t-async-sources"], by_id["t-role"], by_id["t-bill"]
    assert quiz.parse(single, " b ") == Response(choices=(1,))
    for typed in ("A,C", "a, c", "C A", "ac", "A;C"):
        assert quiz.parse(multiple, typed) == Response(choices=(0, 2))
    for typed, value in (("12.5", "12.5"), ("$1,234.50", "1234.50"), ("0.40 USD", "0.40")):
        assert quiz.parse(bill, typed).number == Decimal(value)


@pytest.mark.parametrize(
    ("question", "typed", "message"),
    [
        ("t-role", "D", "one letter from A to C"),
        ("t-role", "A,B", "This question has one answer"),
        ("t-role", "", "one letter from A to C"),
        ("t-async-sources", "A,E", "2 letters from A to D"),
        ("t-bill", "forty cents", "an amount in USD, e.g. 12.50"),
        ("t-concurrency", "many", "a number (concurrent executions)"),
    ],
)
def test_an_unreadable_answer_says_what_to_type(by_id, question, typed, message):
    with pytest.raises(InvalidAnswer, match=re.escape(message)):
        quiz.parse(by_id[question], typed)


def test_a_session_marks_all_and_only_the_right_choices_and_scores_per_task(by_id):
    recorded = []
    questions = [by_id["t-async-sources"], by_id["t-bill"], by_id["t-timeout-max"]]
    session = QuizSession(questions, record=lambda q, right: recorded.append((q.id, right)))
    assert not session.answer("A").right  # one of the two right choices is not enough
    assert session.answer(str(by_id["t-bill"].answer.value)).right
    assert session.answer("B").right
    assert session.score == (2, 3) and session.current is None
    assert session.by_task() == {
        "DVA-C02:1.1": (0, 1),
        "DVA-C02:1.2": (1, 2),
        "SAA-C03:4.1": (1, 1),
    }
    assert recorded == [("t-async-sources", False), ("t-bill", True), ("t-timeout-max", True)]
    assert session.summary().splitlines()[:3] == [
        "Score: 2/3",
        "By task statement:",
        "  DVA-C02:1.1  0/1",
    ]
    with pytest.raises(InvalidAnswer, match="quiz is over"):
        session.answer("A")


def test_the_time_limit_ends_the_quiz_and_a_late_answer_does_not_count(by_id):
    # Seconds at: the start, before Q1, after its answer, before Q2, after its (late) answer.
    clock = iter([0, 1, 20, 40, 61]).__next__
    out = io.StringIO()
    questions = [by_id["t-role"], by_id["t-timeout-max"], by_id["t-free-tier"]]
    session = quiz.run(questions, io.StringIO("A\nB\nA\n"), out, minutes=1, clock=clock)
    assert session.score == (1, 1)
    assert "Time is up: that answer came after the 1-minute limit." in out.getvalue()
    assert (
        out.getvalue()
        .rstrip()
        .endswith("(2 of 3 not answered)\nBy task statement:\n  DVA-C02:2.1  1/1")
    )


def answer_for(question: question_bank.Question, right: bool) -> str:
    if question.kind == "numeric":
        return str(question.answer.value + (0 if right else 1000))
    picks = (
        question.correct
        if right
        else [i for i in range(len(question.choices)) if i not in question.correct][:1]
    )
    return ",".join("ABCDEFG"[i] for i in picks)


def run_cli(*args: str, stdin: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAMBDA_COURSE_HOME": str(home), "LAMBDA_COURSE_BANK": str(BANK)}
    return subprocess.run(
        [sys.executable, "-m", "course.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_cli_quiz_asks_the_seeded_draw_in_order_and_scores_a_script(bank, tmp_path):
    drawn = question_bank.draw("DVA-C02", None, 4, 7, bank=bank)
    marks = [True, False, True, True]
    script = "Z\n" + "".join(f"{answer_for(q, r)}\n" for q, r in zip(drawn, marks, strict=True))
    done = run_cli(
        "quiz", "--exam", "DVA-C02", "--count", "4", "--seed", "7", stdin=script, home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    positions = [out.index(q.prompt) for q in drawn]
    assert positions == sorted(positions)
    assert out.count("Right.") == 3 and out.count("Wrong: the answer is") == 1
    assert "Please answer with" in out  # the "Z" was asked again, not marked
    assert "\nScore: 3/4\nBy task statement:\n" in out
    for question in drawn:
        assert question.explanation in out
    saved = json.loads((tmp_path / "progress.json").read_text())
    assert [(a["question"], a["right"]) for a in saved["answers"]] == [
        (q.id, r) for q, r in zip(drawn, marks, strict=True)
    ]


def test_the_quiz_with_no_time_left_asks_nothing(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("A\n"))
    assert cli.main(["quiz", "--minutes", "0", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert out == "Time is up: the 0-minute limit has passed.\nScore: 0/0 (6 of 6 not answered)\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--exam", "DVA-C02", "--task", "7.7"], "No question matches exam DVA-C02, task 7.7"),
        (["--minutes", "-1"], "--minutes must be 0 or more, not -1."),
    ],
)
def test_the_quiz_explains_bad_arguments_like_aws(capsys, arguments, message):
    assert cli.main(["quiz", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"InvalidParameterValueException: {message}")


def test_at_a_terminal_the_quiz_stops_waiting_when_the_time_is_up(tmp_path):
    """A learner who types nothing still sees the time run out (a real pseudo-terminal)."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "LAMBDA_COURSE_HOME": str(tmp_path), "LAMBDA_COURSE_BANK": str(BANK)}
    started = time.monotonic()
    with subprocess.Popen(
        [sys.executable, "-m", "course.cli", "quiz", "--seed", "1", "--minutes", "0.02"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        os.close(terminal)
        try:
            out, err = process.communicate(timeout=60)
        finally:
            os.close(controller)
    assert process.returncode == 0, err
    assert "Question 1 of 6" in out and out.count("Question ") == 1
    assert "Time is up: the 0.02-minute limit has passed.\nScore: 0/0 (6 of 6 not answered)" in out
    assert 1.2 <= time.monotonic() - started < 60

"""Spaced review: Leitner boxes replayed from the answers, under an injected clock."""

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from course.exam import commands, progress, review
from course.exam.review import INTERVALS_DAYS

from .conftest import BANK

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def answers(*marks: tuple[str, bool, int]) -> progress.Progress:
    """A progress with answers (question, right, hours after T0)."""
    return progress.Progress(
        [progress.Answer(q, r, (T0 + timedelta(hours=h)).isoformat()) for q, r, h in marks]
    )


def test_right_moves_a_card_up_one_box_and_wrong_sends_it_back_to_box_1():
    mine = answers(
        ("a", True, 0), ("a", True, 30), ("a", True, 80), ("b", False, 0), ("c", True, 0)
    )
    cards = review.schedule(mine)
    assert cards["a"].box == 4 and cards["a"].answers == 3
    assert cards["a"].due == T0 + timedelta(hours=80, days=INTERVALS_DAYS[3])
    assert cards["b"].box == 1 and cards["b"].due == T0 + timedelta(days=INTERVALS_DAYS[0])
    assert cards["c"].box == 2
    cards = review.schedule(answers(*mine_marks(mine), ("a", False, 90)))
    assert cards["a"].box == 1 and cards["a"].due == T0 + timedelta(hours=90, days=1)


def mine_marks(mine):
    return [(a.question, a.right, int((a.when - T0).total_seconds() // 3600)) for a in mine.answers]


def test_the_top_box_stays_the_top_box():
    marks = [("a", True, 24 * 40 * i) for i in range(len(INTERVALS_DAYS) + 3)]
    assert review.schedule(answers(*marks))["a"].box == len(INTERVALS_DAYS)


def test_due_questions_come_longest_overdue_first_with_numeric_ones_as_variants(bank):
    mine = answers(("t-bill", False, 0), ("t-role", True, 0), ("t-free-tier", False, 5))
    now = T0 + timedelta(days=1, hours=6)  # t-bill and t-free-tier due; t-role (box 2) not yet
    due = review.due(mine, bank, now)
    assert [q.id for q in due] == ["t-bill", "t-free-tier"]
    bill = next(q for q in bank if q.id == "t-bill")
    assert due[0].answer.params != bill.answer.params and due[0].prompt != bill.prompt
    assert review.due(mine, bank, now) == due  # same progress and clock: same review
    assert review.due(mine, bank, now, count=1) == due[:1]
    assert review.due(mine, bank, T0 + timedelta(hours=23)) == []
    assert review.next_due(mine, bank, T0) == T0 + timedelta(days=1)


def test_review_command_at_an_injected_time_asks_what_is_due_and_records_it(bank):
    progress.save(answers(("t-role", False, 0), ("t-free-tier", True, 0)))
    out = io.StringIO()
    now = T0 + timedelta(days=1, hours=1)
    assert commands.review_command(None, io.StringIO("A\n"), out, now) == 0
    assert out.getvalue().startswith("1 question due for review.\nQuestion 1 of 1 (DVA-C02:2.1)")
    assert "Score: 1/1" in out.getvalue()
    cards = review.schedule(progress.load())
    assert cards["t-role"].box == 2

    out = io.StringIO()
    assert commands.review_command(None, io.StringIO(""), out, now) == 0
    assert out.getvalue().startswith(
        "Nothing is due for review. The next question is due on 2026-11-03"
    )


def test_cli_review_with_no_answers_points_to_the_quiz(tmp_path):
    env = {**os.environ, "LAMBDA_COURSE_HOME": str(tmp_path), "LAMBDA_COURSE_BANK": str(BANK)}
    done = subprocess.run(
        [sys.executable, "-m", "course.cli", "review"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout
        == "Nothing is due for review. Answer some questions first: `lambda-course quiz`.\n"
    )
    assert not (tmp_path / "progress.json").exists()

"""Each Pricing check fails on the placeholder and on a plausible wrong answer, passes if right."""

from decimal import Decimal

import pytest

from course.facts import fact
from course.grading.checks import pricing as checks
from course.pricing import monthly_cost


def wrong_answers():
    free_gb_s = fact("pricing.free_tier.gb_seconds").number
    decimal_gb = Decimal(checks.Q2_MEMORY_MB) / 1000
    return {
        "q1": monthly_cost(**checks.Q1, free_tier=False).total,
        "q2": free_gb_s / decimal_gb,
        "q3": Decimal(0),
        "q4": monthly_cost(**checks.Q4, architecture="arm64").total,
        "q5": Decimal(fact("pricing.us-east-1.x86_64.duration_tiers").value[0]["up_to_gb_s"]),
        "q6": fact("memory.min_mb").value,
        "q7": monthly_cost(
            checks.Q7["requests_with_pc"], checks.Q7["duration_ms_with_pc"], checks.Q7["memory_mb"]
        ).total,
        "q8": fact("pricing.free_tier.requests").value,
    }


QUESTIONS = [f"q{n}" for n in range(1, 9)]


@pytest.mark.parametrize("q", QUESTIONS)
def test_placeholder_is_not_yet(q, capsys):
    assert getattr(checks, f"check_{q}")(...) is None  # prints, returns nothing to display
    out = capsys.readouterr().out
    assert out.startswith(f"{q.upper()} not yet:") and out.count("\n") == 1


@pytest.mark.parametrize("q", QUESTIONS)
def test_plausible_wrong_answer_is_not_yet(q, capsys):
    wrong = wrong_answers()[q]
    assert wrong != getattr(checks, f"expected_{q}")()
    getattr(checks, f"check_{q}")(wrong)
    assert capsys.readouterr().out.startswith(f"{q.upper()} not yet:")


@pytest.mark.parametrize("q", QUESTIONS)
def test_right_answer_is_correct_and_not_printed(q, capsys):
    right = getattr(checks, f"expected_{q}")()
    getattr(checks, f"check_{q}")(right)
    out = capsys.readouterr().out
    assert out.startswith(f"{q.upper()} correct:") and out.count("\n") == 1
    assert str(right) not in out


@pytest.mark.parametrize("q", QUESTIONS)
def test_right_answer_as_a_float_is_accepted(q, capsys):
    getattr(checks, f"check_{q}")(float(getattr(checks, f"expected_{q}")()))
    assert capsys.readouterr().out.startswith(f"{q.upper()} correct:")


@pytest.mark.parametrize("value", ["2.73", "a lot", None, True, float("nan")])
def test_non_numbers_never_crash(value, capsys):
    checks.check_q1(value)
    assert "not yet" in capsys.readouterr().out


def test_expected_answers_follow_the_facts():
    assert checks.expected_q2() == fact("pricing.free_tier.gb_seconds").number * 1024 / 128
    assert checks.expected_q5() == Decimal(
        fact("pricing.us-east-1.x86_64.duration_tiers").value[0]["up_to_gb_s"]
    ) / (Decimal(checks.Q5["memory_mb"]) / 1024)

"""Each Pricing check fails on the placeholder and on a plausible wrong answer, passes if right."""

from decimal import Decimal

import pytest

from course.facts import fact
from course.grading.checks import pricing as checks
from course.pricing import bill, monthly_cost, provisioned_concurrency_cost


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


# -- the usual slips: each wrong answer is computed here independently, with course.pricing ----
def old_step():
    return fact("pricing.billing_granularity_ms").history[0]["value"]


def decimal_gb_answer(monkeypatch, expected):
    """`expected()` recomputed as if a GB were 1,000 MB (gb() patched for this call only)."""
    with monkeypatch.context() as patch:
        for module in (bill, checks):
            patch.setattr(module, "gb", lambda mb: Decimal(mb) / 1000)
        return expected()


def verdict_for(check, value, capsys):
    check(value)
    return capsys.readouterr().out


FREE_TIER_LEFT_OUT = {
    "q1": lambda: monthly_cost(**checks.Q1, free_tier=False).total,
    "q4": lambda: (
        monthly_cost(**checks.Q4, free_tier=False).total
        - monthly_cost(**checks.Q4, free_tier=False, architecture="arm64").total
    ),
    "q7": lambda: provisioned_concurrency_cost(**checks.Q7, free_tier=False).total,
}


@pytest.mark.parametrize("q", sorted(FREE_TIER_LEFT_OUT))
def test_a_forgotten_free_tier_is_named(q, capsys):
    out = verdict_for(getattr(checks, f"check_{q}"), FREE_TIER_LEFT_OUT[q](), capsys)
    assert out.startswith(f"{q.upper()} not yet:")
    assert "looks like a usual slip: the free tier was left out" in out


@pytest.mark.parametrize("q", ["q1", "q2", "q4", "q5", "q8"])
def test_1000_mb_per_gb_is_named(q, monkeypatch, capsys):
    wrong = decimal_gb_answer(monkeypatch, getattr(checks, f"expected_{q}"))
    assert wrong != getattr(checks, f"expected_{q}")()
    out = verdict_for(getattr(checks, f"check_{q}"), wrong, capsys)
    binary = bill.number(1 / bill.gb(1))  # from the facts file
    assert f"a GB was taken as 1,000 MB; Lambda pricing counts {binary} MB per GB" in out


def test_1000_mb_per_gb_is_named_in_the_rounding_question(monkeypatch, capsys):
    wrong = decimal_gb_answer(monkeypatch, checks.expected_q3)
    assert "a GB was taken as 1,000 MB" in verdict_for(checks.check_q3, wrong, capsys)


OLD_ROUNDING = {
    "q1": lambda: monthly_cost(**checks.Q1, billing_granularity_ms=old_step()).total,
    "q7": lambda: (
        provisioned_concurrency_cost(**checks.Q7, billing_granularity_ms=old_step()).total
    ),
}


@pytest.mark.parametrize("q", sorted(OLD_ROUNDING))
def test_100_ms_rounding_is_named(q, capsys):
    out = verdict_for(getattr(checks, f"check_{q}"), OLD_ROUNDING[q](), capsys)
    assert f"each request was rounded up to {old_step()} ms, the old billing step" in out


def test_a_slip_that_gives_the_right_number_is_not_mistaken_for_one(capsys):
    # 300 ms is a whole number of old steps: rounding changes nothing in Q4, so no slip to name.
    assert "old_rounding" in checks.slips_q4()
    out = verdict_for(checks.check_q4, checks.expected_q4(), capsys)
    assert out.startswith("Q4 correct:")


def test_another_wrong_number_says_high_or_low_and_never_the_answer(capsys):
    right = checks.expected_q1()
    high = verdict_for(checks.check_q1, right * 3, capsys)
    low = verdict_for(checks.check_q1, right / 3, capsys)
    assert "Your number is too high." in high and "Your number is too low." in low
    for out in (high, low):
        assert str(right) not in out and 'hint("Q1")' in out

"""Checks for the Pricing exercises: each recomputes its answer with `course.pricing`.

The scenario numbers below are the exercises' own (not AWS facts); every AWS rate and limit
comes from the facts file through `course.pricing` and `course.power_tuning`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from course.facts import fact
from course.grading.checks import answered, report
from course.pricing.bill import (
    duration_tiers,
    gb,
    monthly_cost,
    number,
    provisioned_concurrency_cost,
)
from course.pricing.power_tuning import PROFILES, pick, sweep

HALF_CENT = Decimal("0.005")

Q1 = {"requests": 4_000_000, "duration_ms": 250, "memory_mb": 2048}
Q2_MEMORY_MB = 128
Q3 = {"requests": 10_000_000, "duration_ms": 120, "memory_mb": 512, "free_tier": False}
Q4 = {"requests": 20_000_000, "duration_ms": 300, "memory_mb": 1024}
Q5 = {"memory_mb": 10240, "duration_ms": 1000}
Q6 = {"workload": "CPU-bound, single-threaded", "requests": 5_000_000, "free_tier": False}
Q7 = {
    "concurrency": 10,
    "enabled_minutes": 12 * 60 * 30,
    "memory_mb": 2048,
    "requests_with_pc": 2_000_000,
    "duration_ms_with_pc": 80,
}
Q8 = {"duration_ms": 200, "memory_mb": 512}


def expected_q1() -> Decimal:
    """Q1: the month's bill in USD."""
    return monthly_cost(**Q1).total


def expected_q2() -> Decimal:
    """Q2: seconds of compute the free tier covers at the Q2 memory size."""
    return fact("pricing.free_tier.gb_seconds").number / gb(Q2_MEMORY_MB)


def expected_q3() -> Decimal:
    """Q3: how much more the month cost with 100 ms billing than with 1 ms billing."""
    old = fact("pricing.billing_granularity_ms").history[0]["value"]
    return monthly_cost(**Q3, billing_granularity_ms=old).total - monthly_cost(**Q3).total


def expected_q4() -> Decimal:
    """Q4: the monthly saving of arm64 over x86_64 for the same duration."""
    return monthly_cost(**Q4).total - monthly_cost(**Q4, architecture="arm64").total


def expected_q5() -> Decimal:
    """Q5: requests per month before x86_64 compute reaches the second price tier."""
    first_tier_end = duration_tiers("x86_64")[0][1]
    return first_tier_end / (Decimal(Q5["duration_ms"]) / 1000 * gb(Q5["memory_mb"]))


def expected_q6() -> int:
    """Q6: the cheapest memory size (MB) for the modelled CPU-bound function."""
    result = sweep(PROFILES[Q6["workload"]], Q6["requests"], free_tier=Q6["free_tier"])
    return pick(result, "cost")


def expected_q7() -> Decimal:
    """Q7: the month's bill with Provisioned Concurrency, in USD."""
    return provisioned_concurrency_cost(**Q7).total


def expected_q8() -> Decimal:
    """Q8: requests per month the free tier's GB-seconds cover at the Q8 size and duration."""
    each = Decimal(Q8["duration_ms"]) / 1000 * gb(Q8["memory_mb"])
    return fact("pricing.free_tier.gb_seconds").number / each


def check_q1(total: object) -> None:
    """Check the Q1 monthly bill (to the cent)."""
    _close(
        "Q1",
        total,
        "total",
        expected_q1(),
        HALF_CENT,
        "the bill in USD to the cent",
        "round each line item to the cent, then add them; remember the free tier.",
    )


def check_q2(seconds: object) -> None:
    """Check the Q2 free-tier seconds."""
    _close(
        "Q2",
        seconds,
        "seconds",
        expected_q2(),
        Decimal("0.5"),
        "the free tier's seconds of compute at this memory size",
        f"GB-seconds ÷ memory in GB, and 1 GB is {number(1 / gb(1))} MB here.",
    )


def check_q3(extra_usd: object) -> None:
    """Check the Q3 difference between 100 ms and 1 ms billing."""
    _close(
        "Q3",
        extra_usd,
        "extra_usd",
        expected_q3(),
        HALF_CENT,
        "the extra USD per month under the old billing steps",
        "with the old billing each request is billed up to the next whole step.",
    )


def check_q4(saving_usd: object) -> None:
    """Check the Q4 arm64 saving."""
    _close(
        "Q4",
        saving_usd,
        "saving_usd",
        expected_q4(),
        HALF_CENT,
        "the monthly saving of arm64 over x86_64",
        "bill both architectures with monthly_cost and subtract the totals.",
    )


def check_q5(requests_to_tier2: object) -> None:
    """Check the Q5 number of requests that fill the first tier."""
    _close(
        "Q5",
        requests_to_tier2,
        "requests_to_tier2",
        expected_q5(),
        Decimal("0.5"),
        "the requests per month that fill the first x86_64 price tier",
        "divide the first tier's GB-s by the GB-s of one request.",
    )


def check_q6(cheapest_mb: object) -> None:
    """Check the Q6 cheapest memory size."""
    _close(
        "Q6",
        cheapest_mb,
        "cheapest_mb",
        Decimal(expected_q6()),
        Decimal(0),
        "the cheapest memory size in MB for this modelled workload",
        "sweep every size and use the 'cost' strategy; it is rarely the smallest.",
    )


def check_q7(pc_total: object) -> None:
    """Check the Q7 Provisioned Concurrency bill."""
    _close(
        "Q7",
        pc_total,
        "pc_total",
        expected_q7(),
        HALF_CENT,
        "the month's bill with Provisioned Concurrency, to the cent",
        "the free tier never covers provisioned concurrency or the compute run on it.",
    )


def check_q8(break_even_requests: object) -> None:
    """Check the Q8 free-tier break-even."""
    _close(
        "Q8",
        break_even_requests,
        "break_even_requests",
        expected_q8(),
        Decimal("0.5"),
        "the requests per month the free GB-seconds cover",
        "one request uses duration in seconds × memory in GB.",
    )


def _close(
    question: str,
    value: object,
    name: str,
    expected: Decimal,
    tolerance: Decimal,
    checked: str,
    hint: str,
) -> None:
    """Print one verdict line: is `value` a number within `tolerance` of `expected`?"""
    if not answered(question, value, name):
        return
    try:
        given = Decimal(str(value))
    except (InvalidOperation, ValueError):
        report(question, False, checked, f"`{name}` should be a number. {hint}")
        return
    if isinstance(value, bool) or not given.is_finite():
        report(question, False, checked, f"`{name}` should be a number. {hint}")
        return
    report(question, abs(given - expected) <= tolerance, checked, hint)

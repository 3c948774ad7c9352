"""Checks for the Pricing exercises: each recomputes its answer with `course.pricing`.

The scenario numbers below are the exercises' own (not AWS facts); every AWS rate and limit
comes from the facts file through `course.pricing`. A wrong number is compared with the
usual slips, each computed with `course.pricing` too (a forgotten free tier, 1,000 MB per GB
instead of 1,024, the old 100 ms rounding), and the verdict says which one it looks like.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from course.facts import fact
from course.grading import hints
from course.grading.checks import answered, report
from course.pricing.bill import (
    billed_ms,
    duration_tiers,
    gb,
    monthly_cost,
    number,
    provisioned_concurrency_cost,
)
from course.pricing.power_tuning import PROFILES, pick, sweep

hint = hints.for_lesson("03")
DECIMAL_MB_PER_GB = 1000  # the slip itself: a decimal gigabyte, not a price or a limit
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


def old_step_ms() -> int:
    """The billing step before today's (from the facts file's history)."""
    return fact("pricing.billing_granularity_ms").history[0]["value"]


def decimal_gb_scale() -> Decimal:
    """How much larger GB-seconds come out when a GB is taken as 1,000 MB."""
    return 1 / (DECIMAL_MB_PER_GB * gb(1))


def slip_text(slip: str) -> str:
    """What a usual slip is, in words (numbers from the facts file)."""
    granularity = fact("pricing.billing_granularity_ms")
    return {
        "no_free_tier": "the free tier was left out",
        "free_tier_added": "the free tier was applied, but this question has none",
        "decimal_gb": (
            f"a GB was taken as {number(DECIMAL_MB_PER_GB)} MB; Lambda pricing counts "
            f"{number(1 / gb(1))} MB per GB"
        ),
        "old_rounding": (
            f"each request was rounded up to {old_step_ms()} ms, the old billing step; "
            f"today's step is {granularity}"
        ),
    }[slip]


def _cost(inputs: dict, slip: str = "", **options: object) -> Decimal:
    """monthly_cost(**inputs, **options).total, with one usual slip made on purpose."""
    args = {**inputs, **options}
    if slip == "no_free_tier":
        args["free_tier"] = False
    elif slip == "free_tier_added":
        args["free_tier"] = True
    elif slip == "old_rounding":
        args["billing_granularity_ms"] = old_step_ms()
    elif slip == "decimal_gb":  # billed_ms(d·k, g·k) = billed_ms(d, g)·k: GB-s grow by k
        scale = decimal_gb_scale()
        step = args.get("billing_granularity_ms", fact("pricing.billing_granularity_ms").value)
        args["duration_ms"] = Decimal(args["duration_ms"]) * scale
        args["billing_granularity_ms"] = Decimal(step) * scale
    return monthly_cost(**args).total


def expected_q1() -> Decimal:
    """Q1: the month's bill in USD."""
    return _cost(Q1)


def slips_q1() -> dict[str, Decimal]:
    """Q1: the usual wrong bills."""
    return {slip: _cost(Q1, slip) for slip in ("no_free_tier", "decimal_gb", "old_rounding")}


def expected_q2() -> Decimal:
    """Q2: seconds of compute the free tier covers at the Q2 memory size."""
    return fact("pricing.free_tier.gb_seconds").number / gb(Q2_MEMORY_MB)


def slips_q2() -> dict[str, Decimal]:
    """Q2: the usual wrong answers."""
    return {"decimal_gb": expected_q2() / decimal_gb_scale()}


def expected_q3() -> Decimal:
    """Q3: how much more the month cost with 100 ms billing than with 1 ms billing."""
    return _q3(slip="")


def _q3(slip: str) -> Decimal:
    today = fact("pricing.billing_granularity_ms").value
    old = _cost(Q3, slip, billing_granularity_ms=old_step_ms())
    return old - _cost(Q3, slip, billing_granularity_ms=today)


def slips_q3() -> dict[str, Decimal]:
    """Q3: the usual wrong answers."""
    return {slip: _q3(slip) for slip in ("free_tier_added", "decimal_gb")}


def expected_q4() -> Decimal:
    """Q4: the monthly saving of arm64 over x86_64 for the same duration."""
    return _q4(slip="")


def _q4(slip: str) -> Decimal:
    return _cost(Q4, slip) - _cost(Q4, slip, architecture="arm64")


def slips_q4() -> dict[str, Decimal]:
    """Q4: the usual wrong answers."""
    return {slip: _q4(slip) for slip in ("no_free_tier", "decimal_gb", "old_rounding")}


def expected_q5() -> Decimal:
    """Q5: requests per month before x86_64 compute reaches the second price tier."""
    first_tier_end = duration_tiers("x86_64")[0][1]
    return first_tier_end / (Decimal(Q5["duration_ms"]) / 1000 * gb(Q5["memory_mb"]))


def slips_q5() -> dict[str, Decimal]:
    """Q5: the usual wrong answers."""
    return {"decimal_gb": expected_q5() / decimal_gb_scale()}


def expected_q6() -> int:
    """Q6: the cheapest memory size (MB) for the modelled CPU-bound function."""
    result = sweep(PROFILES[Q6["workload"]], Q6["requests"], free_tier=Q6["free_tier"])
    return pick(result, "cost")


def expected_q7() -> Decimal:
    """Q7: the month's bill with Provisioned Concurrency, in USD."""
    return provisioned_concurrency_cost(**Q7).total


def slips_q7() -> dict[str, Decimal]:
    """Q7: the usual wrong bills."""
    return {
        "no_free_tier": provisioned_concurrency_cost(**Q7, free_tier=False).total,
        "old_rounding": provisioned_concurrency_cost(
            **Q7, billing_granularity_ms=old_step_ms()
        ).total,
    }


def expected_q8() -> Decimal:
    """Q8: requests per month the free tier's GB-seconds cover at the Q8 size and duration."""
    each = Decimal(Q8["duration_ms"]) / 1000 * gb(Q8["memory_mb"])
    return fact("pricing.free_tier.gb_seconds").number / each


def slips_q8() -> dict[str, Decimal]:
    """Q8: the usual wrong answers."""
    each_old = billed_ms(Q8["duration_ms"], old_step_ms()) / 1000 * gb(Q8["memory_mb"])
    return {
        "decimal_gb": expected_q8() / decimal_gb_scale(),
        "old_rounding": fact("pricing.free_tier.gb_seconds").number / each_old,
    }


def check_q1(total: object) -> None:
    """Check the Q1 monthly bill (to the cent)."""
    checked = "the bill in USD to the cent"
    _close("Q1", total, "total", expected_q1(), HALF_CENT, checked, slips_q1())


def check_q2(seconds: object) -> None:
    """Check the Q2 free-tier seconds."""
    checked = "the free tier's seconds of compute at this memory size"
    _close("Q2", seconds, "seconds", expected_q2(), Decimal("0.5"), checked, slips_q2())


def check_q3(extra_usd: object) -> None:
    """Check the Q3 difference between 100 ms and 1 ms billing."""
    checked = "the extra USD per month under the old billing steps"
    _close("Q3", extra_usd, "extra_usd", expected_q3(), HALF_CENT, checked, slips_q3())


def check_q4(saving_usd: object) -> None:
    """Check the Q4 arm64 saving."""
    checked = "the monthly saving of arm64 over x86_64"
    _close("Q4", saving_usd, "saving_usd", expected_q4(), HALF_CENT, checked, slips_q4())


def check_q5(requests_to_tier2: object) -> None:
    """Check the Q5 number of requests that fill the first tier."""
    checked = "the requests per month that fill the first x86_64 price tier"
    _close(
        "Q5",
        requests_to_tier2,
        "requests_to_tier2",
        expected_q5(),
        Decimal("0.5"),
        checked,
        slips_q5(),
    )


def check_q6(cheapest_mb: object) -> None:
    """Check the Q6 cheapest memory size."""
    checked = "the cheapest memory size in MB for this modelled workload"
    _close("Q6", cheapest_mb, "cheapest_mb", Decimal(expected_q6()), Decimal(0), checked, {})


def check_q7(pc_total: object) -> None:
    """Check the Q7 Provisioned Concurrency bill."""
    checked = "the month's bill with Provisioned Concurrency, to the cent"
    _close("Q7", pc_total, "pc_total", expected_q7(), HALF_CENT, checked, slips_q7())


def check_q8(break_even_requests: object) -> None:
    """Check the Q8 free-tier break-even."""
    checked = "the requests per month the free GB-seconds cover"
    _close(
        "Q8",
        break_even_requests,
        "break_even_requests",
        expected_q8(),
        Decimal("0.5"),
        checked,
        slips_q8(),
    )


def diagnose(given: Decimal, expected: Decimal, tolerance: Decimal, slips: dict) -> str:
    """What is wrong with a number: the usual slip it matches, or whether it is high or low."""
    for slip, value in slips.items():
        if abs(value - expected) > tolerance and abs(given - value) <= tolerance:
            return f"Your number looks like a usual slip: {slip_text(slip)}."
    return f"Your number is too {'high' if given > expected else 'low'}."


def _close(
    question: str,
    value: object,
    name: str,
    expected: Decimal,
    tolerance: Decimal,
    checked: str,
    slips: dict[str, Decimal],
) -> None:
    """Print one verdict line: is `value` a number within `tolerance` of `expected`?"""
    if not answered(question, value, name):
        return
    try:
        given = Decimal(str(value))
    except (InvalidOperation, ValueError):
        given = None
    if given is None or isinstance(value, bool) or not given.is_finite():
        report(question, False, checked, f"`{name}` should be a number.")
        return
    right = abs(given - expected) <= tolerance
    report(question, right, checked, "" if right else diagnose(given, expected, tolerance, slips))

"""The pricing model reproduces the pricing page's worked examples and its billing rules."""

from decimal import Decimal

import pytest

from course.facts import fact, worked_examples
from course.pricing import (
    Usage,
    ValidationException,
    account_cost,
    billed_ms,
    duration_tiers,
    edge_cost,
    gb,
    monthly_cost,
    provisioned_concurrency_cost,
    usd,
)

EXAMPLES = {example["id"]: example for example in worked_examples()}
# Which line of our bill each printed line item of the page corresponds to.
LINE_NAMES = {
    "compute": "Compute (x86_64, tier 1)",
    "compute_without_pc": "Compute (x86_64, tier 1)",
    "requests": "Requests",
    "ephemeral": "Ephemeral storage",
    "pc": "Provisioned concurrency",
    "compute_with_pc": "Compute under provisioned concurrency",
}
EDGE_LINE_NAMES = {"compute": "Lambda@Edge compute", "requests": "Lambda@Edge requests"}


def bill_for(example: dict):
    given = example["inputs"]
    if example["id"] == "EDGE-1":
        return edge_cost(given["requests"], given["avg_ms"], given["memory_mb"])
    if example["id"] == "PC-1":
        return provisioned_concurrency_cost(
            given["pc"],
            given["pc_hours"] * 60,
            given["memory_mb"],
            requests_with_pc=given["requests_with_pc"],
            duration_ms_with_pc=given["pc_avg_ms"],
            requests_without_pc=given["requests_total"] - given["requests_with_pc"],
            duration_ms_without_pc=given["other_avg_ms"],
        )
    return monthly_cost(
        given["requests"],
        given["avg_ms"],
        given["memory_mb"],
        architecture=given["arch"],
        ephemeral_storage_mb=given.get("ephemeral_mb", 512),
        free_tier=given["free_tier"],
    )


@pytest.mark.parametrize("example_id", ["OD-1", "OD-3", "PC-1", "EDGE-1"])
def test_worked_example_to_the_cent_line_by_line(example_id):
    example = EXAMPLES[example_id]
    bill = bill_for(example)
    names = EDGE_LINE_NAMES if example_id == "EDGE-1" else LINE_NAMES
    for key, printed in example["line_items_usd"].items():
        line = bill.line(names[key])
        assert line.amount == Decimal(printed["usd"]), (key, line)
        quantity = printed.get("billable_gb_s", printed.get("gb_s", printed.get("billable")))
        if quantity is not None:
            assert line.quantity == Decimal(quantity), (key, line)
        if "rate" in printed:
            assert line.rate == Decimal(printed["rate"]), (key, line)
    assert len(bill.lines) == len(example["line_items_usd"])
    assert bill.total == Decimal(example["total_usd"])


def test_edge_rounds_half_up_like_the_page():
    line = edge_cost(10_000_000, 10, 128).line("Lambda@Edge compute")
    assert line.exact == Decimal("0.625125")
    assert line.amount == Decimal("0.63")
    assert usd(Decimal("0.005")) == Decimal("0.01")


def test_total_adds_rounded_lines_not_the_exact_sum():
    # Two lines of just over $0.004 each: each rounds to $0.00, the exact sum to $0.01.
    request_rate = fact("pricing.us-east-1.requests").number / 1_000_000
    requests = int(Decimal("0.004") / request_rate)
    gb_s = Decimal("0.004") / duration_tiers()[0][2]
    bill = monthly_cost(requests, gb_s * 1000 / requests, 1024, free_tier=False)
    assert [line.amount for line in bill.lines] == [Decimal("0.00"), Decimal("0.00")]
    assert bill.total == Decimal("0.00")
    assert usd(bill.exact_total) == Decimal("0.01")


def tier_edges(architecture):
    return [end for _, end, _ in duration_tiers(architecture) if end is not None]


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_tier_boundaries_come_from_the_facts(architecture):
    first_end, second_end = tier_edges(architecture)
    rates = [rate for _, _, rate in duration_tiers(architecture)]
    # 1,024 MB for 1 s per request: GB-s equal requests.
    at_edge = monthly_cost(int(first_end), 1000, 1024, architecture=architecture, free_tier=False)
    assert [line.what for line in at_edge.lines] == [
        "Requests",
        f"Compute ({architecture}, tier 1)",
    ]
    one_more = monthly_cost(
        int(first_end) + 1, 1000, 1024, architecture=architecture, free_tier=False
    )
    tier2 = one_more.line(f"Compute ({architecture}, tier 2)")
    assert tier2.quantity == 1 and tier2.rate == rates[1]
    beyond = monthly_cost(
        int(second_end) + 5, 1000, 1024, architecture=architecture, free_tier=False
    )
    assert beyond.line(f"Compute ({architecture}, tier 2)").quantity == second_end - first_end
    assert beyond.line(f"Compute ({architecture}, tier 3)").quantity == 5
    assert beyond.line(f"Compute ({architecture}, tier 3)").rate == rates[2]


def test_free_tier_is_taken_off_the_first_tier():
    first_end = tier_edges("x86_64")[0]
    free = fact("pricing.free_tier.gb_seconds").number
    bill = monthly_cost(int(first_end) + 10, 1000, 1024)
    assert bill.line("Compute (x86_64, tier 1)").quantity == first_end - free
    assert bill.line("Compute (x86_64, tier 2)").quantity == 10


def test_arm64_is_cheaper_per_gb_second():
    x86 = monthly_cost(5_000_000, 200, 2048, free_tier=False)
    arm = monthly_cost(5_000_000, 200, 2048, architecture="arm64", free_tier=False)
    arm_rate = duration_tiers("arm64")[0][2]
    assert arm.line("Compute (arm64, tier 1)").rate == arm_rate
    assert arm.line("Requests").amount == x86.line("Requests").amount
    assert arm.total < x86.total


def test_free_tier_edge_exactly_covered_then_one_ms_over():
    free_requests = fact("pricing.free_tier.requests").value
    free_gb_s = fact("pricing.free_tier.gb_seconds").number
    # 1,000,000 requests at 1 GB: the free GB-s last exactly free_gb_s / 1M seconds each.
    ms_each = free_gb_s * 1000 / free_requests
    covered = monthly_cost(free_requests, ms_each, 1024)
    assert covered.total == 0
    assert covered.line("Compute").quantity == 0
    over = monthly_cost(free_requests + 1, ms_each, 1024)
    assert over.line("Requests").quantity == 1
    assert over.line("Compute").quantity == ms_each / 1000
    assert monthly_cost(free_requests, ms_each, 1024, free_tier=False).total > 0


def test_free_tier_is_shared_by_x86_and_arm64():
    free_gb_s = fact("pricing.free_tier.gb_seconds").number
    # Each architecture uses the whole allowance on its own: together only one allowance is free.
    requests = int(free_gb_s)
    bill = account_cost(
        [Usage(requests, 1000, 1024), Usage(requests, 1000, 1024, architecture="arm64")]
    )
    assert bill.line("Compute (x86_64").quantity == 0
    assert bill.line("Compute (arm64").quantity == free_gb_s
    free_requests = fact("pricing.free_tier.requests").value
    assert bill.line("Requests").quantity == max(2 * requests - free_requests, 0)


def test_100_ms_granularity_bills_a_120_ms_function_for_200_ms():
    old = fact("pricing.billing_granularity_ms").history[0]["value"]
    assert billed_ms(120, old) == 200
    assert billed_ms(120) == 120
    assert billed_ms(Decimal("120.2")) == 121
    new = monthly_cost(10_000_000, 120, 1024, free_tier=False)
    then = monthly_cost(10_000_000, 120, 1024, free_tier=False, billing_granularity_ms=old)
    ratio = then.line("Compute").quantity / new.line("Compute").quantity
    assert ratio == Decimal(200) / Decimal(120)


def test_ephemeral_storage_is_billed_only_above_the_included_size():
    included = fact("pricing.ephemeral_storage.included_mb").value
    assert all(
        not line.what.startswith("Ephemeral")
        for line in monthly_cost(1_000, 100, 128, ephemeral_storage_mb=included).lines
    )
    line = monthly_cost(1_000, 1000, 128, ephemeral_storage_mb=included + 1024).line("Ephemeral")
    assert line.quantity == 1_000  # 1,000 s at 1 GB above the included size
    assert gb(1024) == 1


def test_provisioned_concurrency_metering_rounds_up_to_whole_periods():
    period = fact("pricing.provisioned_concurrency.metering_minutes").value
    one = provisioned_concurrency_cost(
        1, 1, 1024, requests_with_pc=0, duration_ms_with_pc=0, free_tier=False
    )
    assert one.line("Provisioned concurrency").quantity == period * 60
    arm = provisioned_concurrency_cost(
        1, period, 1024, requests_with_pc=0, duration_ms_with_pc=0, architecture="arm64"
    )
    assert (
        arm.line("Provisioned concurrency").rate
        == fact("pricing.us-east-1.arm64.provisioned_concurrency").number
    )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"memory_mb": 127}, ["memory_mb = 127 MB", "128-10,240 MB", "S3"]),
        ({"memory_mb": 10241}, ["memory_mb = 10241 MB", "128-10,240 MB", "as of"]),
        ({"memory_mb": 1536.5}, ["memory_mb = 1536.5 MB", "1 MB steps"]),
        ({"ephemeral_storage_mb": 511}, ["ephemeral_storage_mb", "512-10,240 MB", "S3"]),
        ({"architecture": "arm"}, ["'arm'", "x86_64, arm64", "S5"]),
        ({"requests": -1}, ["requests", "0 or more", "-1"]),
        ({"duration_ms": -5}, ["duration_ms", "0 or more"]),
    ],
)
def test_invalid_input_names_the_limit_and_its_source(kwargs, words):
    args = {"requests": 1, "duration_ms": 100, "memory_mb": 128} | kwargs
    with pytest.raises(ValueError) as caught:
        monthly_cost(**args)
    assert isinstance(caught.value, ValidationException)
    message = str(caught.value)
    assert message.startswith("ValidationException: ")
    for word in words:
        assert word in message


def test_limits_follow_the_facts_not_hard_coded_numbers():
    top = fact("memory.max_mb").value
    compute = monthly_cost(1, 1, top, free_tier=False).line("Compute")
    assert compute.quantity == Decimal(top) / 1024 / 1000
    with pytest.raises(ValidationException):
        monthly_cost(1, 1, top + fact("memory.step_mb").value)


def test_edge_has_no_free_tier_and_its_own_memory_limit():
    bill = edge_cost(1, 1)
    assert bill.line("Lambda@Edge requests").quantity == 1
    with pytest.raises(ValidationException, match="10,240 MB"):
        edge_cost(1, 1, fact("edge.origin").value["memory_mb"] + 1)


def test_bill_reads_like_the_pricing_page():
    text = str(monthly_cost(3_000_000, 120, 1536))
    assert "140,000 GB-s × $0.0000166667 = $2.33" in text
    assert text.endswith("Total: $2.73")

"""INIT billing since 2025-08-01: REPORT, the invocation record and the pricing model."""

import base64
import math
import re
from datetime import date, timedelta
from decimal import Decimal

from course.facts import fact
from course.init_billing import init_billing_since, init_is_billed
from course.pricing import billed_ms, gb, monthly_cost

SLOW_INIT = """
import time
time.sleep(0.2)

def handler(event, context):
    return "ok"
"""


def _report(lam, name):
    response = lam.invoke(FunctionName=name, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    return next(line for line in tail.splitlines() if line.startswith("REPORT"))


def test_a_cold_start_bills_init_plus_duration_and_a_warm_call_only_duration(lab, lam):
    lab.deploy("slow-init", SLOW_INIT)
    cold_report, warm_report = _report(lam, "slow-init"), _report(lam, "slow-init")
    cold, warm = lab.invocations
    step = fact("pricing.billing_granularity_ms").value
    assert cold.init_duration_ms >= 200
    expected = math.ceil((cold.duration_ms + cold.init_duration_ms) / step) * step
    assert abs(cold.billed_duration_ms - expected) <= step  # REPORT rounds to 0.01 ms
    assert cold.billed_duration_ms >= 200
    assert f"Billed Duration: {cold.billed_duration_ms} ms" in cold_report
    assert re.search(r"Init Duration: [\d.]+ ms", cold_report)
    assert warm.init_duration_ms is None and "Init Duration" not in warm_report
    assert warm.billed_duration_ms < 200
    assert warm.billed_duration_ms == math.ceil(warm.duration_ms / step) * step


def test_the_rule_follows_the_date_and_the_package():
    since = init_billing_since()
    assert since == date.fromisoformat(fact("pricing.init_billing_since").value)
    before = since - timedelta(days=1)
    assert init_is_billed(on=since)
    assert not init_is_billed(on=before)
    assert init_is_billed(on=before, package_type="Image")
    assert init_is_billed(on=before, runtime="provided.al2023")
    assert not init_is_billed(on=since, initialization_type="provisioned-concurrency")


def test_the_pricing_model_bills_init_on_cold_starts_since_the_change():
    since = init_billing_since()
    args = (1_000_000, 100, 1024)
    warm_only = monthly_cost(*args, free_tier=False, on=since)
    now = monthly_cost(*args, free_tier=False, cold_starts=10_000, init_ms=400, on=since)
    then = monthly_cost(
        *args, free_tier=False, cold_starts=10_000, init_ms=400, on=since - timedelta(days=1)
    )
    assert then.total == warm_only.total
    extra_gb_s = 10_000 * (billed_ms(500) - billed_ms(100)) / Decimal(1000) * gb(1024)
    compute = now.line("Compute (x86_64, tier 1)").quantity
    assert compute - warm_only.line("Compute (x86_64, tier 1)").quantity == extra_gb_s


def test_more_cold_starts_than_requests_is_refused():
    import pytest

    from course.pricing import ValidationException

    with pytest.raises(ValidationException, match="cold_starts"):
        monthly_cost(10, 100, 128, cold_starts=11, init_ms=100)

"""INIT billing since 2025-08-01: REPORT, the invocation record and the pricing model."""

import base64
import math
import re
from datetime import date, timedelta

from course.facts import fact
from course.lab.init_billing import init_billing_since, init_is_billed

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

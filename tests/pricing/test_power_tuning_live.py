"""Power tuning on the real runtime: measured durations and costs at several memory sizes."""

import boto3
import pytest

from course.pricing import monthly_cost
from course.pricing.power_tuning_live import measure

SPIN = """
def handler(event, context):
    total = 0
    for i in range(150_000):
        total += i * i
    return total
"""
WAIT = """
import time

def handler(event, context):
    time.sleep(0.05)
    return "done"
"""


def test_a_cpu_bound_handler_gets_faster_with_memory_and_costs_follow(lab):
    lab.deploy("tune-cpu", SPIN, memory_mb=256, timeout_s=30)
    lines = []
    small, large = measure("tune-cpu", [128, 1769], invocations=2, progress=lines.append)
    assert [m.memory_mb for m in (small, large)] == [128, 1769]
    assert len(lines) == 2 and lines[0].startswith("Measuring 128 MB (1 of 2)")
    for measured in (small, large):
        assert len(measured.cold_ms) == 1 and len(measured.init_ms) == 1
        assert len(measured.warm_ms) == 2
    assert small.warm_median_ms > 1.5 * large.warm_median_ms
    expected = monthly_cost(1, str(small.warm_median_ms), 128, free_tier=False).exact_total
    assert small.cost_per_invocation() == expected
    memory = boto3.client("lambda").get_function_configuration(FunctionName="tune-cpu")
    assert memory["MemorySize"] == 256


def test_an_io_bound_handler_does_not_and_costs_more_with_memory(lab):
    lab.deploy("tune-io", WAIT, timeout_s=30)
    small, large = measure("tune-io", [128, 1769], invocations=2, progress=None)
    assert large.warm_median_ms > 0.6 * small.warm_median_ms  # the wait does not shrink
    assert large.cost_per_invocation() > small.cost_per_invocation()


def test_a_failing_function_stops_the_measurement(lab):
    lab.deploy("tune-bad", "def handler(event, context):\n    raise ValueError('no')\n")
    with pytest.raises(ValueError, match="failed while being measured"):
        measure("tune-bad", [128], invocations=1, progress=None)

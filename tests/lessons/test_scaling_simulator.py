"""The scaling simulator widget: its pure functions, and that its controls drive them."""

import ipywidgets as widgets
import pytest

from course.facts import fact
from course.lab.scaling import simulate
from course.lessons.scaling_simulator import (
    BURST_END_S,
    BURST_START_S,
    MAX_RPS,
    SECONDS,
    ScalingSimulator,
    scaling_simulator,
    summary,
    traffic,
)

ACCOUNT = fact("concurrency.account_default").value
UNRESERVED = fact("concurrency.unreserved_min").value
BURST = fact("concurrency.scaling_rate_environments").value
PERIOD = fact("concurrency.scaling_period_s").value


@pytest.fixture(scope="module")
def built() -> ScalingSimulator:
    return scaling_simulator(steady_rps=100, burst_rps=1_000, duration_ms=500)


def test_traffic_is_steady_with_a_burst_in_the_middle():
    rates = traffic(10, 400)
    assert len(rates) == SECONDS
    assert rates[BURST_START_S - 1] == 10 and rates[BURST_START_S] == 400
    assert rates[BURST_END_S - 1] == 400 and rates[BURST_END_S] == 10


def test_summary_counts_with_units():
    steps = simulate([2 * ACCOUNT, 0], 1.0, concurrency_limit=ACCOUNT)
    text = summary(steps, ACCOUNT)
    assert f"Peak concurrency: {ACCOUNT:,} concurrent executions (limit {ACCOUNT:,})." in text
    assert f"Throttled: {ACCOUNT:,} requests, in 1 of 2 s." in text
    assert f"Cold starts: {ACCOUNT:,} (one per new execution environment)." in text


def test_slider_ranges_come_from_the_facts(built):
    assert isinstance(built, widgets.VBox)
    assert built.account.value == ACCOUNT and built.account.min == UNRESERVED
    assert built.duration.max == fact("timeout.max_s").value * 1000
    assert built.reserved.max == ACCOUNT - UNRESERVED
    assert built.reserved.disabled


def test_a_slider_change_redraws_the_plot_and_the_summary(built):
    before_text, before_picture = built.text, built.picture.value
    assert "Throttled: 0 requests" in before_text  # 1,000 rps x 0.5 s fits the limit
    built.burst.value = 4_000  # needs 2,000 environments: the account limit throttles
    assert built.text != before_text and built.picture.value != before_picture
    assert bytes(built.picture.value).startswith(b"\x89PNG")
    assert f"Peak concurrency: {ACCOUNT:,} concurrent executions" in built.text
    expected = simulate(traffic(100, 4_000), 0.5, concurrency_limit=ACCOUNT)
    assert built.text == summary(expected, ACCOUNT)
    assert built.text in built.summary.value and built.text in repr(built)


def test_reserved_concurrency_caps_and_zero_throttles_everything():
    simulator = scaling_simulator(steady_rps=100, burst_rps=1_000, duration_ms=500)
    simulator.reserve.value = True
    simulator.reserved.value = 0  # the console's Throttle button
    assert "Peak concurrency: 0 concurrent executions (limit 0)." in simulator.text
    assert f"in {SECONDS} of {SECONDS} s" in simulator.text
    simulator.reserved.value = 200
    assert "Peak concurrency: 200 concurrent executions (limit 200)." in simulator.text
    simulator.reserve.value = False
    assert f"(limit {ACCOUNT:,})" in simulator.text and simulator.reserved.disabled


def test_no_traffic_and_the_smallest_account_limit():
    simulator = scaling_simulator(steady_rps=0, burst_rps=0, duration_ms=1)
    assert "Peak concurrency: 0" in simulator.text and "Cold starts: 0" in simulator.text
    simulator.account.value = simulator.account.min  # the unreserved minimum
    assert simulator.reserved.max == 0  # nothing left to reserve
    assert f"(limit {UNRESERVED:,})" in simulator.text


def test_the_longest_duration_and_a_burst_far_above_the_scaling_rate():
    timeout_ms = fact("timeout.max_s").value * 1000
    simulator = scaling_simulator(steady_rps=0, burst_rps=MAX_RPS, duration_ms=timeout_ms)
    simulator.account.value = simulator.account.max
    # each period adds exactly the facts' number of environments
    first = simulator.steps[BURST_START_S]
    assert (first.cold_starts, first.concurrency) == (BURST, BURST)
    periods = (BURST_END_S - BURST_START_S) // PERIOD
    peak = min(periods * BURST, simulator.account.max)
    assert f"Peak concurrency: {peak:,} concurrent executions" in simulator.text
    assert f"Cold starts: {peak:,}" in simulator.text

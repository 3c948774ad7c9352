"""The scaling simulator: the per-function scaling rate, the concurrency limit, cold starts."""

import pytest

from course.facts import fact
from course.lab.scaling import simulate

BURST = fact("concurrency.scaling_rate_environments").value
PERIOD = fact("concurrency.scaling_period_s").value


def test_steady_traffic_starts_cold_once_then_stays_warm():
    steps = simulate([100] * 30, 0.1)
    assert steps[0].cold_starts == 10 and steps[0].concurrency == 10
    assert sum(s.cold_starts for s in steps[1:]) == 0
    assert all(s.throttled_rps == 0 for s in steps)


def test_a_spike_grows_by_the_scaling_rate_each_period():
    steps = simulate([50_000] * 35, 1.0, concurrency_limit=100_000)
    assert steps[0].concurrency == BURST
    assert steps[PERIOD - 1].concurrency == BURST  # nothing more inside the first period
    assert steps[PERIOD].concurrency == 2 * BURST
    assert steps[3 * PERIOD].concurrency == 4 * BURST
    assert steps[0].throttled_rps == pytest.approx(50_000 * (1 - BURST / 50_000))


def test_the_account_limit_caps_concurrency_and_the_rest_is_throttled():
    limit = fact("concurrency.account_default").value
    steps = simulate([3 * limit] * 40, 1.0)
    assert max(s.concurrency for s in steps) == limit
    assert steps[-1].throttled_rps == pytest.approx(2 * limit)


def test_provisioned_environments_take_traffic_without_cold_starts():
    steps = simulate([40] * 5 + [80] * 5, 1.0, provisioned=50)
    assert sum(s.cold_starts for s in steps[:5]) == 0
    assert steps[5].cold_starts == 30


def test_idle_environments_are_reclaimed_and_the_next_burst_is_cold():
    steps = simulate([10] * 3 + [0] * 10 + [10] * 2, 1.0, idle_expiry_s=5)
    assert steps[0].cold_starts == 10
    assert steps[13].cold_starts == 10
    assert steps[12].environments == 0


def test_rps_as_a_function_of_time_and_bad_input():
    steps = simulate(lambda t: 10 * t, 0.5, seconds=5)
    assert [s.needed for s in steps] == [0, 5, 10, 15, 20]
    with pytest.raises(ValueError, match="seconds"):
        simulate(lambda t: 1, 1.0)
    with pytest.raises(ValueError, match="provisioned"):
        simulate([1], 1.0, concurrency_limit=5, provisioned=6)

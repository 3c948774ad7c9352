"""The memory-vs-cost model and Power Tuning's cost, speed and balanced picks."""

import time

import numpy as np
import pytest

from course.facts import fact
from course.pricing.power_tuning import (
    PROFILES,
    Workload,
    balanced_score,
    exact_bill,
    memory_sizes,
    pick,
    picks,
    sweep,
    vcpus,
)

PER_VCPU = fact("memory.mb_per_vcpu").value
SINGLE = PROFILES["CPU-bound, single-threaded"]


def test_sweep_covers_every_memory_size_in_the_facts():
    sizes = memory_sizes()
    assert sizes[0] == fact("memory.min_mb").value
    assert sizes[-1] == fact("memory.max_mb").value
    assert np.all(np.diff(sizes) == fact("memory.step_mb").value)


def test_vcpu_share_meets_both_documented_points():
    assert vcpus(PER_VCPU) == 1
    assert vcpus(PER_VCPU / 2) == 0.5
    assert vcpus(fact("memory.max_mb").value) == fact("memory.max_vcpus").value
    assert np.all(np.diff(vcpus(memory_sizes())) > 0)


def test_single_threaded_code_stops_speeding_up_at_one_vcpu():
    durations = SINGLE.duration_ms(np.array([PER_VCPU // 2, PER_VCPU, 2 * PER_VCPU]))
    assert durations[0] > durations[1]
    assert durations[1] == durations[2]
    multi = PROFILES["CPU-bound, multi-threaded"].duration_ms(np.array([PER_VCPU, 2 * PER_VCPU]))
    assert multi[1] < multi[0]


def test_waiting_does_not_speed_up():
    waiting = Workload("wait", single_thread_ms=0, multi_thread_ms=0, wait_ms=100)
    assert np.all(waiting.duration_ms(memory_sizes()) == 100)


def test_sweep_of_every_size_is_fast():
    started = time.perf_counter()
    for workload in PROFILES.values():
        sweep(workload, 1_000_000)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("name", list(PROFILES))
@pytest.mark.parametrize("free_tier", [True, False])
def test_vectorised_cost_matches_the_exact_bill(name, free_tier):
    result = sweep(PROFILES[name], 7_000_000, architecture="arm64", free_tier=free_tier)
    for memory in (128, 1000, PER_VCPU, 4097, 10240):
        exact = float(exact_bill(result, memory).exact_total)
        assert result.cost_usd[result.at(memory)] == pytest.approx(exact, rel=1e-12)


def test_old_100_ms_billing_rounds_durations_up():
    result = sweep(SINGLE, 1_000, billing_granularity_ms=100)
    assert np.all(result.billed_ms % 100 == 0)
    assert np.all(result.billed_ms >= result.duration_ms)


def test_cost_pick_is_the_minimum_cost_and_speed_pick_the_minimum_duration():
    result = sweep(PROFILES["Mixed"], 5_000_000, free_tier=False)
    chosen = picks(result)
    assert result.cost_usd[result.at(chosen["cost"])] == result.cost_usd.min()
    assert result.duration_ms[result.at(chosen["speed"])] == result.duration_ms.min()


def test_fastest_tie_goes_to_the_cheapest_size():
    # Single-threaded code is equally fast at every size from one vCPU up: the cheapest wins.
    assert pick(sweep(SINGLE, 1_000_000), "speed") == PER_VCPU


def test_cheapest_tie_goes_to_the_fastest_size():
    # Under the free tier every small size costs $0 of compute: the fastest of them wins.
    result = sweep(PROFILES["I/O-bound"], 1_000)
    free = result.cost_usd == result.cost_usd.min()
    chosen = pick(result, "cost")
    assert result.duration_ms[result.at(chosen)] == result.duration_ms[free].min()


def test_balanced_weight_moves_between_fastest_and_cheapest():
    result = sweep(PROFILES["CPU-bound, multi-threaded"], 5_000_000, free_tier=False)
    fastest, cheapest = pick(result, "speed"), pick(result, "cost")
    at_zero, at_one = pick(result, "balanced", 0), pick(result, "balanced", 1)
    assert result.duration_ms[result.at(at_zero)] == result.duration_ms[result.at(fastest)]
    assert at_one == cheapest
    middle = pick(result, "balanced", 0.5)
    assert cheapest < middle < fastest
    assert pick(result, "balanced", 7) == at_one  # clamped to 0-1 like the real tool


def test_balanced_score_is_power_tunings_formula():
    result = sweep(PROFILES["Mixed"], 2_000_000)
    score = balanced_score(result, 0.3)
    expected = 0.3 * result.cost_usd / result.cost_usd.max() + 0.7 * (
        result.duration_ms / result.duration_ms.max()
    )
    assert np.allclose(score, expected)


def test_unknown_strategy_names_the_choices():
    with pytest.raises(ValueError, match="cost"):
        pick(sweep(SINGLE, 1), "cheap")

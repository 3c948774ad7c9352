"""The pre-2019 VPC model: ENIs grow with concurrency x memory, and a full subnet throttles."""

import pytest

from course.facts import fact
from course.lessons import eni_history

# Memory (MB) that makes one ENI per concurrent execution under the old formula.
ONE_ENI_MB = int(fact("vpc.legacy_eni_memory_gb").number / fact("pricing.gb_per_mb").number)


def test_one_eni_per_environment_at_the_formulas_memory_and_fewer_below_it():
    assert eni_history.enis_needed(100, ONE_ENI_MB) == 100
    assert eni_history.enis_needed(100, ONE_ENI_MB // 2) == 50
    assert eni_history.enis_needed(3, ONE_ENI_MB // 2) == 2  # a part of an ENI is a whole ENI
    assert eni_history.enis_needed(0, ONE_ENI_MB) == 0


def test_a_subnet_runs_out_and_new_environments_are_throttled():
    steps = eni_history.scale([100, 250, 251, 400], ONE_ENI_MB, free_ips=250)
    assert [(s.enis, s.error) for s in steps] == [
        (100, None),
        (250, None),
        (251, "EC2ThrottledException"),
        (400, "EC2ThrottledException"),
    ]


@pytest.mark.parametrize("memory_mb", [128, 1024, ONE_ENI_MB, 10240])
def test_max_concurrency_is_the_last_level_that_fits(memory_mb):
    top = eni_history.max_concurrency(memory_mb, free_ips=251)
    assert eni_history.enis_needed(top, memory_mb) <= 251
    assert eni_history.enis_needed(top + 1, memory_mb) > 251


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="memory_mb > 0"):
        eni_history.enis_needed(10, 0)

"""The pricing model follows the lab's configuration facts: INIT billing, defaults, CPU share."""

from datetime import timedelta
from decimal import Decimal

import pytest

from course.facts import fact
from course.lab.cpu_share import share, vcpus
from course.lab.init_billing import init_billing_since
from course.pricing import (
    Usage,
    ValidationException,
    billed_ms,
    edge_cost,
    gb,
    monthly_cost,
    provisioned_concurrency_cost,
)
from course.pricing.power_tuning import vcpus as modelled_vcpus


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
    with pytest.raises(ValidationException, match="cold_starts"):
        monthly_cost(10, 100, 128, cold_starts=11, init_ms=100)


def test_pricing_defaults_come_from_the_facts():
    usage = Usage(1, 1, 128)
    assert usage.ephemeral_storage_mb == fact("ephemeral_storage.default_mb").value
    step = fact("pricing.billing_granularity_ms").value
    assert billed_ms(Decimal("0.2")) == step
    viewer_mb = fact("edge.viewer").value["memory_mb"]
    assert edge_cost(1000, 10) == edge_cost(1000, 10, viewer_mb)


def test_its_price_is_on_the_bill():
    memory, minutes = 1024, 60
    bill = provisioned_concurrency_cost(
        2, minutes, memory, requests_with_pc=1000, duration_ms_with_pc=100
    )
    rate = fact("pricing.us-east-1.x86_64.provisioned_concurrency").number
    line = bill.line("Provisioned concurrency (x86_64)")
    assert line.quantity == 2 * minutes * 60 * 1  # GB-s at 1 GB
    assert line.rate == rate


def test_the_share_follows_the_documented_points():
    per_vcpu = fact("memory.mb_per_vcpu").value
    assert vcpus(per_vcpu) == pytest.approx(1.0)
    assert vcpus(per_vcpu // 2) == pytest.approx(0.5, abs=0.001)
    assert vcpus(fact("memory.max_mb").value) == pytest.approx(fact("memory.max_vcpus").value)
    for memory in (128, 1000, 3000, 10240):
        assert vcpus(memory) == pytest.approx(float(modelled_vcpus(memory)))
    assert share(10240, cores=2) == 2.0
    assert share(128, cores=2) == pytest.approx(128 / per_vcpu)

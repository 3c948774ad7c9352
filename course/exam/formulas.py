"""The exact answers of the question bank's numeric questions, and their usual wrong answers.

A question names a formula and its params; `{calc:NAME}` in its text renders `FORMULAS[NAME]`
evaluated with the question's params. Every AWS number comes from `course.facts` (directly or
through `course.pricing`); none is typed here. Distractor formulas (`forgot_free_tier`,
`gb_as_1000_mb`, `rounded_100ms`, ...) compute the mistakes learners really make, so a wrong
choice is always a plausible number.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from course import pricing
from course.facts import fact
from course.pricing import (
    duration_tiers,
    edge_cost,
    gb,
    provisioned_concurrency_cost,
    usd,
)
from course.pricing.bill import REQUESTS_PER_MILLION

# Tokens with digits that question text may contain outside placeholders: service and exam
# names, architecture and runtime identifiers, and template or deployment-type names.
ALLOWED_TOKENS: tuple[str, ...] = (
    "S3",
    "s3",
    "EC2",
    "DVA-C02",
    "SAA-C03",
    "SigV4",
    "us-east-1",
    "x86_64",
    "arm64",
    "base64",
    "Base64",
    "python3.12",
    "python3.13",
    "python3.14",
    "AWS::Serverless-2016-10-31",
    "Canary10Percent5Minutes",
    "Linear10PercentEvery1Minute",
)

MS_PER_S = Decimal(1000)
MINUTES_PER_HOUR = 60
SECONDS_PER_MINUTE = 60
BYTES_PER_KB = 1024
DECIMAL_MB_PER_GB = Decimal(1000)  # the classic mistake: 1 GB = 1,000 MB


def _usage(params: dict) -> dict:
    """Split a question's params into monthly_cost's arguments."""
    allowed = {"requests", "duration_ms", "memory_mb", "architecture", "ephemeral_storage_mb"}
    unknown = set(params) - allowed
    if unknown:
        raise TypeError(f"Unknown params for an on-demand bill: {sorted(unknown)}")
    return params


def _tidy(value: Decimal) -> Decimal | int:
    """A whole number as int; otherwise rounded half up to two decimals."""
    if value == value.to_integral_value():
        return int(value)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _old_granularity_ms() -> int:
    """The billing granularity before Dec 2020 (100 ms), from the fact's history."""
    return fact("pricing.billing_granularity_ms").history[0]["value"]


def _requests_charge(requests: int) -> Decimal:
    """The request line with the free tier, rounded to the cent."""
    free = fact("pricing.free_tier.requests").number
    rate = fact("pricing.us-east-1.requests").number / REQUESTS_PER_MILLION
    return usd(max(Decimal(requests) - free, Decimal(0)) * rate)


def _compute_charge(used_gb_s: Decimal, architecture: str) -> Decimal:
    """The compute lines for `used_gb_s`, free tier off the first tier, each rounded."""
    free = fact("pricing.free_tier.gb_seconds").number
    total = Decimal(0)
    for start, end, rate in duration_tiers(architecture):
        top = used_gb_s if end is None else min(used_gb_s, end)
        total += usd(max(top - max(start, free), Decimal(0)) * rate)
    return total


def monthly_cost(**params) -> Decimal:
    """A month's on-demand bill in USD, free tier included (the right answer)."""
    return pricing.monthly_cost(**_usage(params)).total


def forgot_free_tier(**params) -> Decimal:
    """The bill with no free tier subtracted (a usual mistake)."""
    return pricing.monthly_cost(**_usage(params), free_tier=False).total


def rounded_100ms(**params) -> Decimal:
    """The bill with duration rounded up to 100 ms, as before Dec 2020 (a stale rule)."""
    old = _old_granularity_ms()
    return pricing.monthly_cost(**_usage(params), billing_granularity_ms=old).total


def gb_as_1000_mb(**params) -> Decimal:
    """The bill computed with 1 GB = 1,000 MB instead of 1,024 MB (a usual mistake)."""
    usage = _usage(params)
    gb_s = gb_seconds_1000(usage["requests"], usage["duration_ms"], usage["memory_mb"])
    arch = usage.get("architecture", "x86_64")
    return _requests_charge(usage["requests"]) + _compute_charge(gb_s, arch)


def compute_only(**params) -> Decimal:
    """The bill without its request charge (a usual mistake)."""
    bill = pricing.monthly_cost(**_usage(params))
    return bill.total - bill.line("Requests").amount


def requests_only(**params) -> Decimal:
    """Only the request line of the bill, free tier included."""
    return pricing.monthly_cost(**_usage(params)).line("Requests").amount


def other_architecture(**params) -> Decimal:
    """The same bill on the other architecture (x86_64 <-> arm64)."""
    usage = dict(_usage(params))
    usage["architecture"] = "arm64" if usage.get("architecture", "x86_64") == "x86_64" else "x86_64"
    return pricing.monthly_cost(**usage).total


def arm_saving(**params) -> Decimal:
    """How much cheaper the month is on arm64 than on x86_64, in USD."""
    usage = {k: v for k, v in _usage(params).items() if k != "architecture"}
    x86 = pricing.monthly_cost(**usage).total
    return x86 - pricing.monthly_cost(**usage, architecture="arm64").total


def gb_seconds(requests: int, duration_ms: int, memory_mb: int, **_other) -> Decimal:
    """Compute used in a month, in GB-seconds (1 GB = 1,024 MB, 1 ms billing)."""
    return _tidy(requests * Decimal(duration_ms) / MS_PER_S * gb(memory_mb))


def billable_gb_seconds(requests: int, duration_ms: int, memory_mb: int, **_other) -> Decimal:
    """GB-seconds left to pay for after the free tier."""
    used = gb_seconds(requests, duration_ms, memory_mb)
    return _tidy(max(used - fact("pricing.free_tier.gb_seconds").number, Decimal(0)))


def gb_seconds_1000(requests: int, duration_ms: int, memory_mb: int, **_other) -> Decimal:
    """GB-seconds with 1 GB = 1,000 MB (a usual mistake)."""
    return _tidy(requests * Decimal(duration_ms) / MS_PER_S * memory_mb / DECIMAL_MB_PER_GB)


def free_seconds(memory_mb: int) -> Decimal:
    """Seconds of run time a month the free tier's GB-seconds cover at this memory size."""
    return _tidy(fact("pricing.free_tier.gb_seconds").number / gb(memory_mb))


def free_seconds_1000(memory_mb: int) -> Decimal:
    """The same with 1 GB = 1,000 MB (a usual mistake)."""
    return _tidy(fact("pricing.free_tier.gb_seconds").number * DECIMAL_MB_PER_GB / memory_mb)


def free_invocations(duration_ms: int, memory_mb: int) -> int:
    """Whole invocations a month whose compute the free tier's GB-seconds cover."""
    per_call = Decimal(duration_ms) / MS_PER_S * gb(memory_mb)
    whole = (fact("pricing.free_tier.gb_seconds").number / per_call).to_integral_value(ROUND_FLOOR)
    return int(whole)


def ephemeral_charge(
    requests: int, duration_ms: int, memory_mb: int, ephemeral_storage_mb: int
) -> Decimal:
    """The ephemeral-storage line of the bill: only storage above the included size is billed."""
    bill = pricing.monthly_cost(
        requests, duration_ms, memory_mb, ephemeral_storage_mb=ephemeral_storage_mb
    )
    return bill.line("Ephemeral storage").amount


def ephemeral_charge_all(
    requests: int, duration_ms: int, memory_mb: int, ephemeral_storage_mb: int
) -> Decimal:
    """The storage charge wrongly including the free included storage (a usual mistake)."""
    seconds = requests * Decimal(duration_ms) / MS_PER_S
    rate = fact("pricing.us-east-1.ephemeral_storage").number
    return usd(seconds * gb(ephemeral_storage_mb) * rate)


def pc_total(
    concurrency: int,
    hours: int,
    memory_mb: int,
    requests_with_pc: int,
    duration_ms_with_pc: int,
    requests_without_pc: int = 0,
    duration_ms_without_pc: int = 0,
    architecture: str = "x86_64",
) -> Decimal:
    """A month's bill with Provisioned Concurrency enabled for `hours` hours."""
    return provisioned_concurrency_cost(
        concurrency,
        hours * MINUTES_PER_HOUR,
        memory_mb,
        requests_with_pc=requests_with_pc,
        duration_ms_with_pc=duration_ms_with_pc,
        requests_without_pc=requests_without_pc,
        duration_ms_without_pc=duration_ms_without_pc,
        architecture=architecture,
    ).total


def pc_charge(concurrency: int, minutes: int, memory_mb: int, architecture: str = "x86_64"):
    """Only the Provisioned Concurrency line (configured GB-s), metered in whole periods."""
    bill = provisioned_concurrency_cost(
        concurrency,
        minutes,
        memory_mb,
        requests_with_pc=0,
        duration_ms_with_pc=0,
        architecture=architecture,
    )
    return bill.line("Provisioned concurrency").amount


def pc_charge_unrounded_minutes(
    concurrency: int, minutes: int, memory_mb: int, architecture: str = "x86_64"
) -> Decimal:
    """The PC line without rounding the minutes up to the metering period (a usual mistake)."""
    rate = fact(f"pricing.us-east-1.{architecture}.provisioned_concurrency").number
    return usd(concurrency * minutes * SECONDS_PER_MINUTE * gb(memory_mb) * rate)


def pc_metered_minutes(minutes: int) -> int:
    """Minutes of Provisioned Concurrency billed: rounded up to the metering period."""
    period = fact("pricing.provisioned_concurrency.metering_minutes").number
    return int((Decimal(minutes) / period).to_integral_value(ROUND_CEILING) * period)


def edge_total(requests: int, duration_ms: int, memory_mb: int = 128) -> Decimal:
    """A month's Lambda@Edge bill (its own rates, no free tier)."""
    return edge_cost(requests, duration_ms, memory_mb).total


def edge_at_lambda_rates(requests: int, duration_ms: int, memory_mb: int = 128) -> Decimal:
    """Lambda@Edge wrongly priced at regular Lambda rates with the free tier (a usual mistake)."""
    return pricing.monthly_cost(requests, duration_ms, memory_mb).total


def edge_requests_only(requests: int, duration_ms: int, memory_mb: int = 128) -> Decimal:
    """Only Lambda@Edge's request charge (forgetting its duration charge)."""
    return edge_cost(requests, duration_ms, memory_mb).line("Lambda@Edge requests").amount


def async_billed_requests(payload_kb: int) -> int:
    """Requests billed for one async event: one, plus one per further chunk above the base."""
    base = fact("pricing.async_request_kb").value
    chunk = fact("pricing.async_extra_request_kb").value
    limit_kb = fact("payload.async_mb").value * BYTES_PER_KB
    if not 0 < payload_kb <= limit_kb:
        raise ValueError(f"payload_kb must be between 1 and {limit_kb} KB, not {payload_kb}.")
    extra = max(payload_kb - base, 0)
    return 1 + -(-extra // chunk)


def concurrency_needed(rps: int, duration_ms: int) -> int:
    """Concurrent executions a steady load needs: requests per second x seconds each."""
    return int((Decimal(rps) * duration_ms / MS_PER_S).to_integral_value(ROUND_CEILING))


def concurrency_per_minute(rps: int, duration_ms: int) -> int:
    """A usual mistake: the load counted per minute instead of per second."""
    return concurrency_needed(rps, duration_ms) * 60


def unreserved_pool(reserved_a: int, reserved_b: int = 0, reserved_c: int = 0) -> int:
    """Account concurrency left for functions without reserved concurrency."""
    total = fact("concurrency.account_default").value
    left = total - reserved_a - reserved_b - reserved_c
    if left < fact("concurrency.unreserved_min").value:
        raise ValueError("Reserved concurrency must leave the unreserved minimum.")
    return left


def max_reservable(reserved_others: int = 0) -> int:
    """The most reserved concurrency one more function can get at the default account quota."""
    total = fact("concurrency.account_default").value
    return total - fact("concurrency.unreserved_min").value - reserved_others


def max_reservable_ignoring_minimum(reserved_others: int = 0) -> int:
    """A usual mistake: forgetting the unreserved minimum."""
    return fact("concurrency.account_default").value - reserved_others


def async_attempts(retries: int | None = None) -> int:
    """Times Lambda runs an async event that always fails: the first try plus the retries."""
    limit = fact("async.max_retry_attempts").value
    retries = limit if retries is None else retries
    if not 0 <= retries <= limit:
        raise ValueError(f"retries must be 0-{limit}, not {retries}.")
    return 1 + retries


def async_retries_only(retries: int | None = None) -> int:
    """A usual mistake: counting the retries but not the first attempt."""
    return async_attempts(retries) - 1


def sqs_invocations(messages: int, batch_size: int) -> int:
    """Invocations to drain a queue when every batch is full except maybe the last."""
    if batch_size > fact("esm.sqs.batch_size_max").value:
        raise ValueError("batch_size is above the SQS event source mapping maximum.")
    return -(-messages // batch_size)


def records_handled_with_partial_response(batch_size: int, failed: int) -> int:
    """Record deliveries to the handler when only the failed records come back once."""
    return batch_size + failed


def records_handled_without_partial_response(batch_size: int, failed: int) -> int:
    """Record deliveries when any failure returns the whole batch once."""
    return 2 * batch_size if failed else batch_size


def stream_concurrency(shards: int, factor: int = 1) -> int:
    """Concurrent Lambda invocations reading a stream: shards x parallelization factor."""
    if not 1 <= factor <= fact("esm.streams.parallelization_factor_max").value:
        raise ValueError("factor is outside the parallelization factor range.")
    return shards * factor


def stream_max_concurrency(shards: int) -> int:
    """The highest concurrency a stream's mapping reaches with the largest factor."""
    return stream_concurrency(shards, fact("esm.streams.parallelization_factor_max").value)


def memory_for_vcpus(vcpus: int) -> int:
    """The memory size (MB) that gives this many full vCPUs."""
    if not 1 <= vcpus <= fact("memory.max_vcpus").value:
        raise ValueError("vcpus is outside what Lambda offers.")
    return vcpus * fact("memory.mb_per_vcpu").value


def env_bytes_left(used_bytes: int) -> int:
    """Bytes of environment variables still free under the total limit (1 KB = 1,024 bytes)."""
    return fact("environment.max_kb").value * BYTES_PER_KB - used_bytes


def unzipped_room_mb(layer_a_mb: int, layer_b_mb: int = 0, layer_c_mb: int = 0) -> int:
    """MB left for the function's own unzipped code after its layers."""
    return fact("package.unzipped_max_mb").value - layer_a_mb - layer_b_mb - layer_c_mb


def alias_share(invocations: int, weight_percent: int) -> int:
    """Invocations expected on the new version when an alias sends it weight_percent of traffic."""
    if not 0 <= weight_percent <= 100:
        raise ValueError("weight_percent must be 0-100.")
    return invocations * weight_percent // 100


def fanout_deliveries(messages: int, queues: int) -> int:
    """Messages landing in queues when every queue subscribes to a topic with no filter."""
    return messages * queues


def filtered_deliveries(matching: int, other: int, filtered_queues: int, open_queues: int) -> int:
    """Deliveries when some subscriptions filter (only matching messages) and others do not."""
    return matching * filtered_queues + (matching + other) * open_queues


FORMULAS: dict[str, Callable[..., Decimal | int]] = {
    name: function
    for name, function in globals().items()
    if callable(function)
    and not name.startswith("_")
    and getattr(function, "__module__", None) == __name__
}

"""AWS Lambda pricing: a month's bill, line item by line item, in exact decimals.

Every rate, allowance and limit is read from the facts file (`course.facts`), never typed here.
The bill is built the way the AWS pricing page works its examples: each line item is rounded to
the cent (half up), then the rounded line items are added up.

Choices the pricing page does not spell out (stated so a learner can disagree):
- Volume tiers count all GB-seconds an architecture uses in the month; the free tier is taken
  off the start of the first tier.
- When x86_64 and arm64 share the free tier, it covers the usages in the order they are given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from course.facts import fact
from course.lab.init_billing import init_is_billed

ARCHITECTURES = ("x86_64", "arm64")
CENT = Decimal("0.01")
MS_PER_S = Decimal(1000)
SECONDS_PER_MINUTE = 60
REQUESTS_PER_MILLION = Decimal(1_000_000)  # request prices are quoted "per 1M requests"


class ValidationException(ValueError):
    """Raised for input AWS itself would reject, named like the AWS error it mirrors."""

    def __init__(self, message: str) -> None:
        super().__init__(f"ValidationException: {message}")


@dataclass(frozen=True)
class LineItem:
    """One line of a bill: `quantity` `unit` at `rate` USD each, `amount` rounded to the cent."""

    what: str
    quantity: Decimal
    unit: str
    rate: Decimal
    exact: Decimal
    working: str = ""

    @property
    def amount(self) -> Decimal:
        """The line's charge in USD, rounded half up to the cent like the pricing page."""
        return usd(self.exact)

    def __str__(self) -> str:
        text = f"{self.what}: {number(self.quantity)} {self.unit} × ${number(self.rate)}"
        text += f" = ${self.amount:,.2f}"
        return f"{text}  ({self.working})" if self.working else text


@dataclass(frozen=True)
class Bill:
    """A month's Lambda bill: line items and their total."""

    lines: tuple[LineItem, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the rounded line items, in USD."""
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def exact_total(self) -> Decimal:
        """The sum of the unrounded line items, in USD (for comparing nearby configurations)."""
        return sum((line.exact for line in self.lines), Decimal(0))

    def line(self, what: str) -> LineItem:
        """The line item whose description starts with `what`."""
        for item in self.lines:
            if item.what.startswith(what):
                return item
        raise KeyError(
            f"No line item starting with {what!r}; lines: {[i.what for i in self.lines]}"
        )

    def __str__(self) -> str:
        return "\n".join([*map(str, self.lines), f"Total: ${self.total:,.2f}"])


def default_ephemeral_storage_mb() -> int:
    """A function's /tmp size when none is set (ephemeral_storage.default_mb in the facts)."""
    return int(fact("ephemeral_storage.default_mb").value)


@dataclass(frozen=True)
class Usage:
    """A month of on-demand use of one function configuration.

    `cold_starts` of the requests also ran an INIT phase of `init_ms`. Since
    pricing.init_billing_since that time is billed with the request (rounded up together);
    before, it was free for ZIP functions on managed runtimes. `on` is the day billed (today).
    """

    requests: int
    duration_ms: Decimal | int | float | str
    memory_mb: int
    architecture: str = "x86_64"
    ephemeral_storage_mb: int = field(default_factory=default_ephemeral_storage_mb)
    cold_starts: int = 0
    init_ms: Decimal | int | float | str = 0
    on: date | None = None


def usd(amount: Decimal) -> Decimal:
    """Round a USD amount half up to the cent, as the pricing page does (0.625125 -> 0.63)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal | int) -> str:
    """Format a number for learners: thousands separators, no exponent, no trailing zeros."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}".rstrip("0")


def gb(memory_mb: Decimal | int) -> Decimal:
    """Memory in GB the way Lambda pricing counts it (1 GB = 1,024 MB)."""
    return Decimal(memory_mb) * fact("pricing.gb_per_mb").number


def billed_ms(
    duration_ms: Decimal | int | float | str, granularity_ms: int | None = None
) -> Decimal:
    """Duration rounded up to the billing granularity in ms.

    None means today's step (pricing.billing_granularity_ms); its history has the older one.
    """
    duration = _decimal(duration_ms, "duration_ms")
    _check_non_negative(duration, "duration_ms")
    if granularity_ms is None:
        granularity_ms = int(fact("pricing.billing_granularity_ms").value)
    step = _decimal(granularity_ms, "billing_granularity_ms")
    if step <= 0:
        raise ValidationException(f"billing_granularity_ms must be above 0 ms, not {step} ms.")
    return (duration / step).to_integral_value(rounding=ROUND_CEILING) * step


def duration_tiers(architecture: str = "x86_64") -> list[tuple[Decimal, Decimal | None, Decimal]]:
    """The monthly volume tiers as (from GB-s, up to GB-s or None, USD per GB-s)."""
    check_architecture(architecture)
    tiers, start = [], Decimal(0)
    for tier in fact(f"pricing.us-east-1.{architecture}.duration_tiers").value:
        end = None if tier["up_to_gb_s"] is None else Decimal(tier["up_to_gb_s"])
        tiers.append((start, end, Decimal(tier["usd_per_gb_s"])))
        start = end
    return tiers


def check_architecture(architecture: str) -> None:
    """Raise ValidationException unless `architecture` is one Lambda offers."""
    if architecture not in ARCHITECTURES:
        raise ValidationException(
            f"architecture {architecture!r} is not one of {', '.join(ARCHITECTURES)} "
            f"(Lambda pricing, {fact('pricing.us-east-1.x86_64.duration_tiers').cite()})."
        )


def check_memory(memory_mb: int, low_fact: str = "memory.min_mb", high_fact: str = "memory.max_mb"):
    """Raise ValidationException unless memory is a whole number of MB within the quota."""
    _check_range(memory_mb, "memory_mb", low_fact, high_fact, "memory.step_mb")


def check_ephemeral_storage(storage_mb: int) -> None:
    """Raise ValidationException unless /tmp size is a whole number of MB within the quota."""
    _check_range(
        storage_mb, "ephemeral_storage_mb", "ephemeral_storage.min_mb", "ephemeral_storage.max_mb"
    )


def monthly_cost(
    requests: int,
    duration_ms: Decimal | int | float | str,
    memory_mb: int,
    *,
    architecture: str = "x86_64",
    ephemeral_storage_mb: int | None = None,
    free_tier: bool = True,
    billing_granularity_ms: int | None = None,
    cold_starts: int = 0,
    init_ms: Decimal | int | float | str = 0,
    on: date | None = None,
) -> Bill:
    """A month's on-demand bill for `requests` invocations of `duration_ms` each.

    `cold_starts` of them also ran `init_ms` of INIT, billed as `Usage` explains.
    """
    if ephemeral_storage_mb is None:
        ephemeral_storage_mb = default_ephemeral_storage_mb()
    usage = Usage(
        requests,
        duration_ms,
        memory_mb,
        architecture,
        ephemeral_storage_mb,
        cold_starts,
        init_ms,
        on,
    )
    return account_cost([usage], free_tier=free_tier, billing_granularity_ms=billing_granularity_ms)


def account_cost(
    usages: Iterable[Usage], *, free_tier: bool = True, billing_granularity_ms: int | None = None
) -> Bill:
    """A month's on-demand bill for several configurations sharing one free tier and tiers."""
    usages = list(usages)
    for usage in usages:
        _validate(usage)
    free_requests = fact("pricing.free_tier.requests").number if free_tier else Decimal(0)
    free_gb_s = fact("pricing.free_tier.gb_seconds").number if free_tier else Decimal(0)
    lines = [_requests_line(sum(u.requests for u in usages), free_requests)]
    for architecture in ARCHITECTURES:
        mine = [u for u in usages if u.architecture == architecture]
        if not mine:
            continue
        used = sum(_gb_seconds(u, u.memory_mb, billing_granularity_ms) for u in mine)
        covered = min(used, free_gb_s)
        free_gb_s -= covered
        lines += _compute_lines(architecture, used, covered)
    storage = sum(_storage_gb_seconds(u, billing_granularity_ms) for u in usages)
    if storage:
        lines.append(_storage_line(storage))
    return Bill(tuple(lines))


def provisioned_concurrency_cost(
    concurrency: int,
    enabled_minutes: Decimal | int,
    memory_mb: int,
    *,
    requests_with_pc: int,
    duration_ms_with_pc: Decimal | int | float | str,
    requests_without_pc: int = 0,
    duration_ms_without_pc: Decimal | int | float | str = 0,
    architecture: str = "x86_64",
    free_tier: bool = True,
    billing_granularity_ms: int | None = None,
) -> Bill:
    """A month's bill for a function with Provisioned Concurrency (PC) enabled for a while.

    PC time is metered from enable to disable, rounded up to whole metering periods. The free
    tier covers requests and on-demand compute only, never PC or compute run under PC.
    """
    for count, name in ((concurrency, "concurrency"), (requests_with_pc, "requests_with_pc")):
        _check_count(count, name)
    check_memory(memory_mb)
    check_architecture(architecture)
    minutes = _decimal(enabled_minutes, "enabled_minutes")
    _check_non_negative(minutes, "enabled_minutes")
    period = fact("pricing.provisioned_concurrency.metering_minutes").number
    metered = (minutes / period).to_integral_value(rounding=ROUND_CEILING) * period
    pc_gb_s = concurrency * metered * SECONDS_PER_MINUTE * gb(memory_mb)
    pc_rate = fact(f"pricing.us-east-1.{architecture}.provisioned_concurrency").number
    under_pc = Usage(requests_with_pc, duration_ms_with_pc, memory_mb, architecture)
    under_gb_s = _gb_seconds(under_pc, memory_mb, billing_granularity_ms)
    under_rate = fact(f"pricing.us-east-1.{architecture}.provisioned_duration").number
    spill = Usage(requests_without_pc, duration_ms_without_pc, memory_mb, architecture)
    on_demand = account_cost(
        [spill], free_tier=free_tier, billing_granularity_ms=billing_granularity_ms
    )
    free_requests = fact("pricing.free_tier.requests").number if free_tier else Decimal(0)
    pc_lines = (
        LineItem(
            f"Provisioned concurrency ({architecture})",
            pc_gb_s,
            "GB-s",
            pc_rate,
            pc_gb_s * pc_rate,
            f"{concurrency:,} × {number(metered)} min × 60 s × {number(gb(memory_mb))} GB",
        ),
        _requests_line(requests_with_pc + requests_without_pc, free_requests),
        LineItem(
            f"Compute under provisioned concurrency ({architecture})",
            under_gb_s,
            "GB-s",
            under_rate,
            under_gb_s * under_rate,
            "no free tier",
        ),
    )
    return Bill(pc_lines + tuple(li for li in on_demand.lines if li.what != "Requests"))


def edge_cost(
    requests: int,
    duration_ms: Decimal | int | float | str,
    memory_mb: int | None = None,
    *,
    billing_granularity_ms: int | None = None,
) -> Bill:
    """A month's Lambda@Edge bill: its own request and duration rates, and no free tier.

    `memory_mb` defaults to the viewer-trigger size (edge.viewer in the facts file).
    """
    _check_count(requests, "requests")
    if memory_mb is None:
        memory_mb = int(fact("edge.viewer").value["memory_mb"])
    check_memory(memory_mb, high_fact="edge.origin")
    request_rate = fact("pricing.us-east-1.edge.requests").number / REQUESTS_PER_MILLION
    duration = fact("pricing.us-east-1.edge.duration")
    unit_mb = Decimal(re.search(r"per (\d+) MB-second", duration.unit).group(1))
    seconds = requests * billed_ms(duration_ms, billing_granularity_ms) / MS_PER_S
    units = seconds * Decimal(memory_mb) / unit_mb
    return Bill(
        (
            LineItem(
                "Lambda@Edge requests",
                Decimal(requests),
                "requests",
                request_rate,
                requests * request_rate,
                "no free tier",
            ),
            LineItem(
                "Lambda@Edge compute",
                units,
                f"{number(unit_mb)} MB-s",
                duration.number,
                units * duration.number,
                f"{number(seconds)} s × {memory_mb:,} MB ÷ {number(unit_mb)} MB",
            ),
        )
    )


def _requests_line(requests: int, free: Decimal) -> LineItem:
    rate = fact("pricing.us-east-1.requests").number / REQUESTS_PER_MILLION
    billable = max(Decimal(requests) - free, Decimal(0))
    working = f"{requests:,} − {number(free)} free" if free else "no free tier"
    return LineItem("Requests", billable, "requests", rate, billable * rate, working)


def _compute_lines(architecture: str, used: Decimal, free: Decimal) -> list[LineItem]:
    lines = []
    for index, (start, end, rate) in enumerate(duration_tiers(architecture), start=1):
        top = used if end is None else min(used, end)
        billable = max(top - max(start, free), Decimal(0))
        if index > 1 and top <= start:
            break
        working = f"{number(used)} GB-s used − {number(free)} free" if index == 1 else ""
        what = f"Compute ({architecture}, tier {index})"
        lines.append(LineItem(what, billable, "GB-s", rate, billable * rate, working))
    return lines


def _storage_line(gb_seconds: Decimal) -> LineItem:
    rate = fact("pricing.us-east-1.ephemeral_storage").number
    included = fact("pricing.ephemeral_storage.included_mb")
    working = f"only the storage above the included {included}"
    return LineItem("Ephemeral storage", gb_seconds, "GB-s", rate, gb_seconds * rate, working)


def _gb_seconds(usage: Usage, memory_mb: Decimal | int, granularity_ms: int | None) -> Decimal:
    warm = usage.requests - usage.cold_starts
    cold_ms = _decimal(usage.duration_ms, "duration_ms")
    if usage.cold_starts and init_is_billed(on=usage.on):
        cold_ms += _decimal(usage.init_ms, "init_ms")
    total_ms = warm * billed_ms(usage.duration_ms, granularity_ms)
    total_ms += usage.cold_starts * billed_ms(cold_ms, granularity_ms)
    return total_ms / MS_PER_S * gb(memory_mb)


def _storage_gb_seconds(usage: Usage, granularity_ms: int) -> Decimal:
    extra_mb = usage.ephemeral_storage_mb - fact("pricing.ephemeral_storage.included_mb").number
    return _gb_seconds(usage, extra_mb, granularity_ms) if extra_mb > 0 else Decimal(0)


def _validate(usage: Usage) -> None:
    _check_count(usage.requests, "requests")
    check_memory(usage.memory_mb)
    check_architecture(usage.architecture)
    check_ephemeral_storage(usage.ephemeral_storage_mb)
    billed_ms(usage.duration_ms)
    _check_count(usage.cold_starts, "cold_starts")
    if usage.cold_starts > usage.requests:
        raise ValidationException(
            f"cold_starts ({usage.cold_starts:,}) cannot be more than requests "
            f"({usage.requests:,})."
        )
    _check_non_negative(_decimal(usage.init_ms, "init_ms"), "init_ms")


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationException(f"{name} must be a whole number of 0 or more, not {value!r}.")


def _check_non_negative(value: Decimal, name: str) -> None:
    if value < 0:
        raise ValidationException(f"{name} must be 0 or more, not {number(value)}.")


def _check_range(
    value: int, name: str, low_fact: str, high_fact: str, step_fact: str | None = None
) -> None:
    low, high = fact(low_fact), fact(high_fact)
    low_mb = low.value
    high_mb = high.value["memory_mb"] if isinstance(high.value, dict) else high.value
    if isinstance(value, bool) or not isinstance(value, int) or not low_mb <= value <= high_mb:
        step = f" in {fact(step_fact)} steps" if step_fact else ""
        raise ValidationException(
            f"{name} = {value!r} MB is outside the allowed {low_mb:,}-{high_mb:,} MB{step} "
            f"(Lambda quotas, {high.cite()})."
        )


def _decimal(value: Decimal | int | float | str, name: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        raise ValidationException(f"{name} must be a number, not {value!r}.") from None
    if not result.is_finite():
        raise ValidationException(f"{name} must be a finite number, not {value!r}.")
    return result

"""Memory versus cost: a MODEL of how duration falls as memory buys CPU, and how to pick a size.

Lambda gives a function CPU in proportion to its memory: `memory.mb_per_vcpu` MB buys one vCPU,
and the largest size gets `memory.max_vcpus` vCPUs. Single-threaded code cannot use more than one
vCPU, so above that size it gets no faster, only dearer. AWS says more memory can also speed up
network- and memory-bound code, but publishes no per-MB figure for the network, so this model
treats waiting on the network or a disk as fixed time. The curves here are a model (an
Amdahl-style split of the work), not measurements: measure your own function before you trust a
number.

The picks mirror AWS Lambda Power Tuning (alexcasalboni/aws-lambda-power-tuning,
`lambda/analyzer.js`): "cost" is the cheapest (ties: fastest), "speed" the fastest (ties:
cheapest), and "balanced" minimises `w * cost / max cost + (1 - w) * duration / max duration`
with the balanced weight `w` clamped to 0-1 (0 = fastest, 1 = cheapest; the tool's default is 0.5).
The tool compares average cost per invocation; here the cost is the month's bill for a fixed
number of requests, which gives the same order unless the free tier or a volume tier kicks in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course.facts import fact
from course.pricing.bill import (
    REQUESTS_PER_MILLION,
    check_architecture,
    duration_tiers,
    gb,
    monthly_cost,
)

STRATEGIES = ("cost", "speed", "balanced")
DEFAULT_BALANCED_WEIGHT = 0.5  # the Power Tuning tool's default


@dataclass(frozen=True)
class Workload:
    """A modelled function: its time at one full vCPU, split by what more memory can speed up."""

    name: str
    single_thread_ms: float
    multi_thread_ms: float
    wait_ms: float
    about: str = ""

    def duration_ms(self, memory_mb: np.ndarray | float) -> np.ndarray:
        """Modelled duration in ms at each memory size (a model, not a measurement)."""
        share = vcpus(memory_mb)
        return (
            self.wait_ms
            + self.single_thread_ms / np.minimum(share, 1)
            + self.multi_thread_ms / share
        )


PROFILES = {
    "CPU-bound, single-threaded": Workload(
        "CPU-bound, single-threaded",
        single_thread_ms=400,
        multi_thread_ms=0,
        wait_ms=5,
        about="e.g. resizing one image in pure Python; it can never use more than one vCPU.",
    ),
    "CPU-bound, multi-threaded": Workload(
        "CPU-bound, multi-threaded",
        single_thread_ms=40,
        multi_thread_ms=1200,
        wait_ms=5,
        about="e.g. compressing files with a thread per core; it uses every vCPU it gets.",
    ),
    "I/O-bound": Workload(
        "I/O-bound",
        single_thread_ms=10,
        multi_thread_ms=0,
        wait_ms=250,
        about="e.g. calling a slow HTTP API; waiting does not get faster with memory.",
    ),
    "Mixed": Workload(
        "Mixed",
        single_thread_ms=150,
        multi_thread_ms=150,
        wait_ms=100,
        about="e.g. fetching a file, parsing it on one thread, then scoring it on several.",
    ),
}


@dataclass(frozen=True)
class Sweep:
    """A workload's modelled duration and monthly cost at every memory size (numpy arrays)."""

    workload: Workload
    requests: int
    architecture: str
    free_tier: bool
    billing_granularity_ms: int
    memory_mb: np.ndarray
    duration_ms: np.ndarray
    billed_ms: np.ndarray
    cost_usd: np.ndarray

    def at(self, memory_mb: int) -> int:
        """The index of `memory_mb` in the sweep."""
        index = int(np.searchsorted(self.memory_mb, memory_mb))
        if index == len(self.memory_mb) or self.memory_mb[index] != memory_mb:
            raise KeyError(f"{memory_mb} MB is not one of the swept memory sizes.")
        return index


def vcpus(memory_mb: np.ndarray | float) -> np.ndarray:
    """The modelled vCPU share at each memory size, from the two points AWS documents.

    Up to `memory.mb_per_vcpu` MB the share is proportional (half that memory, half a vCPU);
    from there it rises in a straight line to `memory.max_vcpus` at the largest size.
    """
    memory = np.asarray(memory_mb, dtype=float)
    per_vcpu, top_mb = fact("memory.mb_per_vcpu").value, fact("memory.max_mb").value
    extra_vcpus = fact("memory.max_vcpus").value - 1
    above = 1 + (memory - per_vcpu) * extra_vcpus / (top_mb - per_vcpu)
    return np.where(memory <= per_vcpu, memory / per_vcpu, above)


def memory_sizes() -> np.ndarray:
    """Every memory size Lambda accepts today, from the facts (128-10,240 MB in 1 MB steps)."""
    low, high, step = (fact(f"memory.{k}_mb").value for k in ("min", "max", "step"))
    return np.arange(low, high + 1, step)


def sweep(
    workload: Workload,
    requests: int,
    *,
    architecture: str = "x86_64",
    free_tier: bool = True,
    billing_granularity_ms: int | None = None,
    memory_mb: np.ndarray | None = None,
) -> Sweep:
    """Model duration and the month's bill at every memory size at once (vectorised).

    The cost is the same arithmetic as `course.pricing.monthly_cost` in floating point and not
    rounded to the cent, so that neighbouring sizes can be told apart.
    """
    check_architecture(architecture)
    if billing_granularity_ms is None:
        billing_granularity_ms = int(fact("pricing.billing_granularity_ms").value)
    sizes = memory_sizes() if memory_mb is None else np.asarray(memory_mb)
    duration = workload.duration_ms(sizes)
    billed = np.ceil(duration / billing_granularity_ms) * billing_granularity_ms
    used = requests * billed / 1000 * sizes * float(gb(1))
    free = float(fact("pricing.free_tier.gb_seconds").number) if free_tier else 0.0
    covered = np.minimum(used, free)
    compute = np.zeros_like(used)
    for start, end, rate in duration_tiers(architecture):
        top = used if end is None else np.minimum(used, float(end))
        compute += np.maximum(top - np.maximum(float(start), covered), 0) * float(rate)
    free_requests = fact("pricing.free_tier.requests").value if free_tier else 0
    request_rate = float(fact("pricing.us-east-1.requests").number / REQUESTS_PER_MILLION)
    request_cost = max(requests - free_requests, 0) * request_rate
    return Sweep(
        workload,
        requests,
        architecture,
        free_tier,
        billing_granularity_ms,
        sizes,
        duration,
        billed,
        compute + request_cost,
    )


def pick(result: Sweep, strategy: str, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> int:
    """The memory size (MB) Power Tuning's `strategy` would choose from the sweep."""
    cost, duration = result.cost_usd, result.duration_ms
    if strategy == "cost":
        index = np.lexsort((duration, cost))[0]
    elif strategy == "speed":
        index = np.lexsort((cost, duration))[0]
    elif strategy == "balanced":
        index = int(np.argmin(balanced_score(result, balanced_weight)))
    else:
        raise ValueError(f"Unknown strategy {strategy!r}; Power Tuning offers {STRATEGIES}.")
    return int(result.memory_mb[index])


def balanced_score(result: Sweep, balanced_weight: float) -> np.ndarray:
    """Power Tuning's balanced score (lower is better); weight 0 = fastest, 1 = cheapest."""
    weight = min(max(float(balanced_weight), 0.0), 1.0)
    max_cost, max_duration = result.cost_usd.max(), result.duration_ms.max()
    cost_part = result.cost_usd / max_cost if max_cost > 0 else np.zeros_like(result.cost_usd)
    return weight * cost_part + (1 - weight) * result.duration_ms / max_duration


def picks(result: Sweep, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> dict[str, int]:
    """The cheapest, fastest and balanced memory sizes (MB) of a sweep."""
    return {strategy: pick(result, strategy, balanced_weight) for strategy in STRATEGIES}


def exact_bill(result: Sweep, memory_mb: int):
    """The exact, cent-rounded bill (`course.pricing.Bill`) at one size of a sweep."""
    duration = result.duration_ms[result.at(memory_mb)]
    return monthly_cost(
        result.requests,
        float(duration),
        int(memory_mb),
        architecture=result.architecture,
        free_tier=result.free_tier,
        billing_granularity_ms=result.billing_granularity_ms,
    )

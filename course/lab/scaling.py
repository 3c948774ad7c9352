"""How Lambda scales a function: requests per second in; concurrency, throttles, cold starts out.

A pure simulation, one step per second by default (no lab, no AWS calls). Each function can
add `concurrency.scaling_rate_environments` execution environments every
`concurrency.scaling_period_s` seconds (a rolling window), up to its concurrency limit: the
account's `concurrency.account_default` or its reserved concurrency. Concurrency needed is
requests per second × duration (Little's law). Warm environments serve first; each new
environment is one cold start; what neither can serve is throttled (TooManyRequestsException
for synchronous callers). Environments idle for `idle_expiry_s` are reclaimed (the lab's
choice; AWS publishes no figure); provisioned environments are ready from the start and never
reclaimed.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from course.facts import fact


@dataclass(frozen=True)
class Step:
    """One simulated step."""

    t_s: float
    rps: float
    needed: int  # concurrency the requests need
    concurrency: int  # concurrency served
    environments: int  # environments alive at the end of the step
    cold_starts: int  # environments created in this step
    throttled_rps: float  # requests per second refused


def simulate(
    rps: Sequence[float] | Callable[[float], float],
    duration_s: float,
    *,
    seconds: float | None = None,
    step_s: float = 1.0,
    concurrency_limit: int | None = None,
    provisioned: int = 0,
    idle_expiry_s: float = 300.0,
) -> list[Step]:
    """Simulate `seconds` of traffic (`rps` per step, or a function of time in s)."""
    if duration_s <= 0 or step_s <= 0:
        raise ValueError("duration_s and step_s must be above 0 s.")
    limit = int(
        fact("concurrency.account_default").value
        if concurrency_limit is None
        else concurrency_limit
    )
    if provisioned > limit:
        raise ValueError(
            f"provisioned ({provisioned}) cannot be more than the concurrency limit ({limit})."
        )
    if callable(rps):
        if seconds is None:
            raise ValueError("Give seconds when rps is a function of time.")
        rates = [float(rps(i * step_s)) for i in range(math.ceil(seconds / step_s))]
    else:
        rates = [float(r) for r in rps]
    burst = int(fact("concurrency.scaling_rate_environments").value)
    window = max(1, round(float(fact("concurrency.scaling_period_s").value) / step_s))
    created: deque[int] = deque(maxlen=window - 1)  # created in the rest of this period
    used: deque[int] = deque(maxlen=max(1, round(idle_expiry_s / step_s)))
    environments, steps = provisioned, []
    for index, rate in enumerate(rates):
        needed = math.ceil(rate * duration_s)
        allowance = max(0, burst - sum(created))
        new = min(max(0, needed - environments), allowance, max(0, limit - environments))
        environments += new
        served = min(needed, environments)
        throttled = rate * (needed - served) / needed if needed else 0.0
        created.append(new)
        used.append(served)
        steps.append(Step(index * step_s, rate, needed, served, environments, new, throttled))
        environments = max(provisioned, max(used))  # idle ones past the expiry are reclaimed
    return steps

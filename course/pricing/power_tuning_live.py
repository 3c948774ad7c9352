"""Power tuning on the real runtime: the offline counterpart of AWS Lambda Power Tuning.

`measure()` sets a deployed function to each memory size in turn, invokes it for real in the
lab (one cold invocation, then warm ones), and returns each size's measured durations and the
cost of one warm invocation from `course.pricing`. As memory buys CPU in the lab
(`course.lab.cpu_share`), a CPU-bound handler gets faster with memory and an I/O-bound one
does not. The function's memory size is put back afterwards.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from course.pricing.bill import monthly_cost


@dataclass(frozen=True)
class Measurement:
    """One memory size's measured invocations (durations in ms, handler time only)."""

    memory_mb: int
    cold_ms: tuple[float, ...]
    init_ms: tuple[float, ...]
    warm_ms: tuple[float, ...]
    architecture: str = "x86_64"

    @property
    def warm_median_ms(self) -> float:
        """The median duration of the warm invocations."""
        return statistics.median(self.warm_ms)

    def cost_per_invocation(self) -> Decimal:
        """USD for one warm invocation at the median duration: request plus compute, no free
        tier, unrounded (so that sizes can be told apart)."""
        bill = monthly_cost(
            1,
            Decimal(str(self.warm_median_ms)),
            self.memory_mb,
            architecture=self.architecture,
            free_tier=False,
        )
        return bill.exact_total


def measure(
    function_name: str,
    memory_sizes: Iterable[int],
    *,
    invocations: int = 5,
    payload: Any = None,
    progress: Callable[[str], None] | None = print,
) -> list[Measurement]:
    """Measure `function_name` at each of `memory_sizes` (MB) with real invocations in the lab."""
    import boto3

    import course.lab

    lab = course.lab.running()
    if lab is None:
        raise RuntimeError("Start the lab first: course.lab.start().")
    if invocations < 1:
        raise ValueError(f"invocations must be 1 or more, not {invocations}.")
    lam = boto3.client("lambda")
    config = lam.get_function_configuration(FunctionName=function_name)
    sizes = list(memory_sizes)
    body = json.dumps({} if payload is None else payload)
    results = []
    try:
        for index, size in enumerate(sizes, start=1):
            if progress:
                progress(
                    f"Measuring {size:,} MB ({index} of {len(sizes)}): 1 cold and "
                    f"{invocations} warm invocation(s)..."
                )
            lam.update_function_configuration(FunctionName=function_name, MemorySize=size)
            records = [_invoke(lab, lam, function_name, body) for _ in range(invocations + 1)]
            cold = [r for r in records if r.cold]
            warm = [r for r in records if not r.cold] or cold
            results.append(
                Measurement(
                    size,
                    tuple(r.duration_ms for r in cold),
                    tuple(r.init_duration_ms for r in cold),
                    tuple(r.duration_ms for r in warm),
                    (config.get("Architectures") or ["x86_64"])[0],
                )
            )
    finally:
        lam.update_function_configuration(
            FunctionName=function_name, MemorySize=config["MemorySize"]
        )
    return results


def _invoke(lab: Any, lam: Any, function_name: str, body: str) -> Any:
    """One real invocation; its record in the lab (found by request id)."""
    response = lam.invoke(FunctionName=function_name, Payload=body)
    request_id = response["ResponseMetadata"]["RequestId"]
    if response.get("FunctionError"):
        error = json.loads(response["Payload"].read() or b"{}")
        raise ValueError(
            f"{function_name} failed while being measured ({error.get('errorType')}: "
            f"{error.get('errorMessage')}); fix it before tuning."
        )
    return next(i for i in reversed(lab.invocations) if i.request_id == request_id)

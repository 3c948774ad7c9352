"""History: Lambda's VPC networking before 2019, one ENI per execution environment.

Until Hyperplane ENIs (rolled out from September 2019), a VPC-attached function needed
elastic network interfaces in proportion to its concurrency and memory (AWS's sizing formula,
fact `vpc.legacy_eni_memory_gb`), and each ENI took a private IP of the subnet. A burst could
use up the subnet's free addresses; new execution environments then failed with
`EC2ThrottledException`. This module simulates that model so a lesson can plot it; the lab
itself follows today's model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from course.facts import fact

THROTTLED = "EC2ThrottledException"


@dataclass(frozen=True)
class Step:
    """One level of concurrency under the old model: ENIs it needs and whether it fits."""

    concurrency: int
    enis: int
    free_ips: int

    @property
    def error(self) -> str | None:
        """The error new environments got at this level, or None when the subnet had room."""
        return THROTTLED if self.enis > self.free_ips else None


def enis_needed(concurrency: int, memory_mb: int) -> int:
    """ENIs the pre-2019 model needed: peak concurrency x (memory in GB / the per-ENI GB)."""
    if concurrency < 0 or memory_mb <= 0:
        raise ValueError("concurrency must be >= 0 and memory_mb > 0")
    memory_gb = memory_mb * fact("pricing.gb_per_mb").number
    return math.ceil(concurrency * memory_gb / fact("vpc.legacy_eni_memory_gb").number)


def scale(concurrencies: list[int], memory_mb: int, free_ips: int) -> list[Step]:
    """The ENIs needed at each concurrency level, against a subnet with `free_ips` addresses."""
    return [Step(c, enis_needed(c, memory_mb), free_ips) for c in concurrencies]


def max_concurrency(memory_mb: int, free_ips: int) -> int:
    """The highest concurrency the subnet could hold before EC2ThrottledException."""
    low, high = 0, 1
    while enis_needed(high, memory_mb) <= free_ips:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if enis_needed(middle, memory_mb) <= free_ips else (low, middle)
    return low

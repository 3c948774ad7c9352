"""Formulas of the test bank (the same contract as course/exam/formulas.py)."""

import math
from decimal import Decimal

from course import pricing


def monthly_bill(requests: int, duration_ms: int, memory_mb: int) -> Decimal:
    """The month's on-demand bill in USD, free tier included."""
    return pricing.monthly_cost(requests, duration_ms, memory_mb).total


def concurrency(requests_per_s: int, duration_ms: int) -> int:
    """Concurrent executions needed: requests per second times duration in seconds."""
    return math.ceil(Decimal(requests_per_s) * Decimal(duration_ms) / 1000)


FORMULAS = {"monthly_bill": monthly_bill, "concurrency": concurrency}
ALLOWED_TOKENS = ("requests", "duration_ms", "memory_mb", "requests_per_s")

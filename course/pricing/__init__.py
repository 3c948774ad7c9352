"""Pricing: what a Lambda function costs, and how memory size changes speed and cost.

Modules: `bill` (an exact-decimal monthly bill: requests, duration tiers, free tier,
provisioned concurrency, Lambda@Edge), `power_tuning` (the memory-vs-speed model behind
AWS Lambda Power Tuning) and `explorer` (the memory-vs-cost widget).

Public names: `monthly_cost`, `account_cost`, `provisioned_concurrency_cost`, `edge_cost`,
`billed_ms`, `duration_tiers`, `gb`, `number`, `usd`, `Bill`, `LineItem`, `Usage`,
`ValidationException`, `ARCHITECTURES`. Prices come from `course.facts`.
"""

from course.pricing.bill import (
    ARCHITECTURES,
    Bill,
    LineItem,
    Usage,
    ValidationException,
    account_cost,
    billed_ms,
    duration_tiers,
    edge_cost,
    gb,
    monthly_cost,
    number,
    provisioned_concurrency_cost,
    usd,
)

__all__ = [
    "ARCHITECTURES",
    "Bill",
    "LineItem",
    "Usage",
    "ValidationException",
    "account_cost",
    "billed_ms",
    "duration_tiers",
    "edge_cost",
    "gb",
    "monthly_cost",
    "number",
    "provisioned_concurrency_cost",
    "usd",
]

"""INIT phase billing: since 2025-08-01 AWS bills the init of on-demand ZIP functions too.

Before that date the INIT phase of on-demand functions packaged as .zip on a managed runtime
was free; container images and custom runtimes were already billed for it. Provisioned
concurrency initialises ahead of time, so its invocations have no INIT phase to bill (its
environments are paid for by the provisioned-concurrency charge). The date and the rule are
the facts `pricing.init_billing_since` and `pricing.init_billed`.
"""

from __future__ import annotations

from datetime import date

from course.facts import fact

CUSTOM_RUNTIME_PREFIX = "provided"  # provided, provided.al2, provided.al2023


def init_billing_since() -> date:
    """The day AWS started billing the INIT phase of on-demand ZIP functions."""
    return date.fromisoformat(fact("pricing.init_billing_since").value)


def init_is_billed(
    *,
    package_type: str = "Zip",
    runtime: str = "python3.13",
    initialization_type: str = "on-demand",
    on: date | None = None,
) -> bool:
    """Whether the INIT phase of a cold start is part of Billed Duration on day `on` (today)."""
    if initialization_type != "on-demand":
        return False
    if (on or date.today()) >= init_billing_since():
        return True
    return package_type == "Image" or runtime.startswith(CUSTOM_RUNTIME_PREFIX)

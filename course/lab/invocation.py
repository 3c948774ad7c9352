"""One Lambda invocation as the lab recorded it: the runtime writes it, logs and lessons read it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

# The alias ARN a caller invoked (`name:alias`), while that invocation is being started: the
# handler's context.invoked_function_arn names the alias, as on AWS, not the version it ran.
INVOKED_ALIAS_ARN: ContextVar[str | None] = ContextVar("invoked_alias_arn", default=None)


@dataclass
class Invocation:
    """One invocation as the lab recorded it (for timelines and cold-start plots)."""

    function: str
    version: str
    request_id: str
    start: float
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    cold: bool
    init_duration_ms: float | None
    environment_id: str
    outcome: str  # success, error, timeout, out_of_memory, exit
    invocation_type: str = "RequestResponse"
    error_type: str | None = None
    initialization_type: str = "on-demand"  # or provisioned-concurrency (no init, no cold start)

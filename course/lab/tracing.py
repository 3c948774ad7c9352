"""Active tracing: each sampled invocation of a function with TracingConfig Active is an X-Ray
trace in moto's X-Ray backend, readable with plain `boto3.client("xray")`.

As on AWS, the trace has Lambda's service segment (origin AWS::Lambda) and the function's
segment (origin AWS::Lambda::Function) with the subsegments Initialization (cold starts only),
Invocation and Overhead; the handler's AWS SDK calls, recorded in the worker by
`course.lab.trace_recorder`, are subsegments of Invocation. The handler sees the trace header in
`_X_AMZN_TRACE_ID` (Root, Parent = the function segment, Sampled). Lambda samples with X-Ray's
default rule: the first request each second, then `xray.default_sampling_rate` of the rest
(facts file). moto keeps TracingConfig on create but drops it on update; `install()` keeps it.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course.facts import fact

_originals: dict[str, Callable[..., Any]] = {}
_reservoir: dict[str, int] = {}  # function ARN -> the second whose reservoir request was used
_lock = threading.Lock()
_random = random.Random()


def install() -> None:
    """Keep TracingConfig on UpdateFunctionConfiguration (idempotent)."""
    from moto.awslambda.models import LambdaBackend

    if _originals:
        return
    _originals["update"] = LambdaBackend.update_function_configuration

    def update(self: Any, name: str, qualifier: str | None, body: dict) -> Any:
        if "TracingConfig" in body:
            mode = (body["TracingConfig"] or {}).get("Mode") or "PassThrough"
            self.get_function(name, qualifier).tracing_config = {"Mode": mode}
        return _originals["update"](self, name, qualifier, body)

    LambdaBackend.update_function_configuration = update


def active(fn: Any) -> bool:
    """Whether the function has Active tracing."""
    return (getattr(fn, "tracing_config", None) or {}).get("Mode") == "Active"


def _sampled(fn: Any, now: float) -> bool:
    """X-Ray's default rule: a reservoir of requests per second, then a fixed rate."""
    second = int(now)
    with _lock:
        used = _reservoir.get(fn.function_arn)
        if used != second and fact("xray.default_sampling_reservoir_per_s").value >= 1:
            _reservoir[fn.function_arn] = second
            return True
    return _random.random() < float(fact("xray.default_sampling_rate").value)


@dataclass(frozen=True)
class Trace:
    """The ids of one invocation's trace."""

    root: str
    lambda_segment_id: str
    function_segment_id: str
    sampled: bool

    @classmethod
    def begin(cls, fn: Any, start: float) -> Trace:
        """A new trace for an invocation starting at `start` (epoch seconds)."""
        root = f"1-{int(start):08x}-{os.urandom(12).hex()}"
        sampled = active(fn) and _sampled(fn, start)
        return cls(root, os.urandom(8).hex(), os.urandom(8).hex(), sampled)

    def header(self) -> str:
        """The value of _X_AMZN_TRACE_ID in the handler."""
        return f"Root={self.root};Parent={self.function_segment_id};Sampled={int(self.sampled)}"


def send(
    fn: Any,
    trace: Trace,
    invocation: Any,
    run_start: float,
    subsegments: list[dict] | None,
) -> None:
    """Put the invocation's segments into moto's X-Ray backend (nothing when not sampled)."""
    if not trace.sampled:
        return
    from moto.xray.models import xray_backends

    end = time.time()
    start = invocation.start
    run_end = run_start + invocation.duration_ms / 1000
    failed = invocation.outcome != "success"
    parts = []
    if invocation.init_duration_ms is not None:
        init_end = start + invocation.init_duration_ms / 1000
        parts.append(_subsegment("Initialization", start, init_end))
    work = _subsegment("Invocation", run_start, run_end, subsegments=subsegments or [])
    if failed:
        work["fault"] = True
    parts += [work, _subsegment("Overhead", run_end, max(end, run_end))]
    arn = invocation_arn(fn)
    service = {
        "name": fn.function_name,
        "id": trace.lambda_segment_id,
        "trace_id": trace.root,
        "start_time": start,
        "end_time": end,
        "origin": "AWS::Lambda",
        "resource_arn": arn,
        "aws": {"request_id": invocation.request_id},
        "http": {"response": {"status": 200}},
    }
    function = {
        "name": fn.function_name,
        "id": trace.function_segment_id,
        "trace_id": trace.root,
        "parent_id": trace.lambda_segment_id,
        "start_time": start,
        "end_time": end,
        "origin": "AWS::Lambda::Function",
        "resource_arn": arn,
        "aws": {"function_version": invocation.version},
        "subsegments": parts,
    }
    if failed:
        function["fault"] = True
    backend = xray_backends[fn.account_id][fn.region]
    for document in (service, function):
        backend.process_segment(json.dumps(document))


def invocation_arn(fn: Any) -> str:
    """The function's ARN with its version."""
    version = str(fn.version)
    return (
        fn.function_arn
        if fn.function_arn.endswith(f":{version}")
        else (f"{fn.function_arn}:{version}")
    )


def _subsegment(name: str, start: float, end: float, **extra: Any) -> dict[str, Any]:
    return {"id": os.urandom(8).hex(), "name": name, "start_time": start, "end_time": end, **extra}

"""Inside an execution environment: record the handler's AWS SDK calls as X-Ray subsegments.

Runs in the worker process (no moto here). `install()` wraps botocore's
`BaseClient._make_api_call`, the one place every boto3 client call goes through. While an
invocation of an actively traced function runs (`start()` ... `finish()`), each call becomes a
subsegment shaped like the X-Ray SDK's: namespace "aws", the service's name, the operation, the
Region, the request id and the HTTP status (error on 4xx, fault on 5xx and on no answer).
"""

from __future__ import annotations

import os
import time
from typing import Any

_recording: list[dict[str, Any]] | None = None


def install() -> None:
    """Wrap botocore's client call method once (the template process does it for all)."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    if getattr(original, "_records_subsegments", False):
        return

    def make_api_call(self: Any, operation_name: str, api_params: dict) -> Any:
        if _recording is None:
            return original(self, operation_name, api_params)
        subsegment = {
            "id": os.urandom(8).hex(),
            "name": self.meta.service_model.service_id.replace(" ", ""),
            "namespace": "aws",
            "start_time": time.time(),
            "aws": {"operation": operation_name, "region": self.meta.region_name},
        }
        _recording.append(subsegment)
        try:
            response = original(self, operation_name, api_params)
        except Exception as exc:
            meta = getattr(exc, "response", {}) or {}
            _finish(subsegment, meta.get("ResponseMetadata", {}))
            if "http" not in subsegment:
                subsegment["fault"] = True
            raise
        _finish(subsegment, response.get("ResponseMetadata", {}))
        return response

    make_api_call._records_subsegments = True
    BaseClient._make_api_call = make_api_call


def _finish(subsegment: dict[str, Any], meta: dict[str, Any]) -> None:
    subsegment["end_time"] = time.time()
    if meta.get("RequestId"):
        subsegment["aws"]["request_id"] = meta["RequestId"]
    status = meta.get("HTTPStatusCode")
    if status:
        subsegment["http"] = {"response": {"status": status}}
        if 400 <= status < 500:
            subsegment["error"] = True
        if status == 429:
            subsegment["throttle"] = True
        if status >= 500:
            subsegment["fault"] = True


def start(trace_header: str) -> None:
    """Begin recording when the invocation's trace header says it is sampled."""
    global _recording
    _recording = [] if "Sampled=1" in trace_header else None


def finish() -> list[dict[str, Any]] | None:
    """Stop recording and return the subsegments (None when the invocation was not sampled)."""
    global _recording
    recorded, _recording = _recording, None
    return recorded

"""CloudWatch Logs for functions: one log stream per execution environment, as on AWS.

Each invocation writes `START`, whatever the handler printed or logged, `END` and a `REPORT`
line with the duration, billed duration and memory, into `/aws/lambda/NAME`.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from course.lab.invocation import Invocation


class FunctionLog:
    """The log group and stream of one execution environment."""

    def __init__(self, fn: Any, environment_id: str):
        self._backend = fn.logs_backend
        self.group = fn.logs_group_name
        day = time.strftime("%Y/%m/%d", time.gmtime())
        self.stream = f"{day}/[{fn.version}]{environment_id}"

    def _put(self, events: list[dict]) -> None:
        self._backend.put_log_events(self.group, self.stream, events)

    def _create(self) -> None:
        self._backend.ensure_log_group(self.group)
        if self.stream not in self._backend.groups[self.group].streams:
            self._backend.create_log_stream(self.group, self.stream)

    def write_invocation(self, invocation: Invocation, output: str) -> str:
        """Write one invocation's lines to CloudWatch Logs; return them as one text."""
        rid = invocation.request_id
        report = (
            f"REPORT RequestId: {rid}\tDuration: {invocation.duration_ms:.2f} ms\t"
            f"Billed Duration: {invocation.billed_duration_ms} ms\t"
            f"Memory Size: {invocation.memory_size_mb} MB\t"
            f"Max Memory Used: {invocation.max_memory_used_mb} MB"
        )
        if invocation.init_duration_ms is not None:
            report += f"\tInit Duration: {invocation.init_duration_ms:.2f} ms"
        lines = [f"START RequestId: {rid} Version: {invocation.version}"]
        lines += output.splitlines()
        lines += [f"END RequestId: {rid}", report]
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": m} for m in lines]
        try:
            self._put(events)
        except Exception:  # noqa: BLE001 - the group or stream is missing: create it, retry
            with contextlib.suppress(Exception):  # lost lines must never break an invocation
                self._create()
                self._put(events)
        return "\n".join(lines) + "\n"

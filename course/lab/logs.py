"""CloudWatch Logs for functions: one log stream per execution environment, as on AWS.

Each invocation writes `START`, whatever the handler printed or logged, `END` and a `REPORT`
line with the duration, billed duration and memory, into `/aws/lambda/NAME`.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

from course.facts import fact
from course.lab import log_format
from course.lab.invocation import Invocation

STATUS = {"success": "success", "error": "error", "timeout": "timeout"}  # else "failure"

# The lab's choice, not an AWS figure: the output of one invocation the lab keeps. AWS keeps
# it all; the lab must not let a handler that floods its output fill the learner's memory.
OUTPUT_BUDGET_BYTES = 1_310_720  # 1.25 MiB: room for one log event of the largest size


def max_message_bytes() -> int:
    """The longest message one CloudWatch Logs event holds, in UTF-8 bytes (the event size
    limit minus the bytes CloudWatch counts for each event)."""
    event_bytes = int(fact("logs.max_event_mb").value) * 1024 * 1024
    return event_bytes - int(fact("logs.event_overhead_bytes").value)


class OutputBuffer:
    """What one invocation printed, read from the environment's log pipe, up to a budget."""

    def __init__(self, budget: int = OUTPUT_BUDGET_BYTES):
        self.budget = budget
        self._chunks: list[bytes] = []
        self._kept = 0
        self.dropped = 0

    def drain(self, fd: int, most: int = 1 << 20) -> None:
        """Read what the pipe holds now (at most `most` bytes, so the caller keeps polling)."""
        read = 0
        while read < most and fd >= 0:
            try:
                chunk = os.read(fd, 65536)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            read += len(chunk)
            room = self.budget - self._kept
            if room > 0:
                self._chunks.append(chunk[:room])
                self._kept += min(room, len(chunk))
            self.dropped += max(0, len(chunk) - max(room, 0))

    def take(self) -> str:
        """The text kept so far (with a note when some was dropped); empties the buffer."""
        text = b"".join(self._chunks).decode("utf-8", errors="replace")
        if self.dropped:
            text += (
                f"\n[lab] {self.dropped} more bytes of output were not kept: the lab keeps "
                f"{self.budget} bytes of output per invocation.\n"
            )
        self._chunks, self._kept, self.dropped = [], 0, 0
        return text


def _cut(message: str, limit: int) -> str:
    """`message` cut to at most `limit` UTF-8 bytes, as CloudWatch Logs cuts a long event."""
    data = message.encode()
    if len(data) <= limit:
        return message
    return data[:limit].decode("utf-8", errors="ignore")


class FunctionLog:
    """The log group and stream of one execution environment."""

    def __init__(self, fn: Any, environment_id: str):
        self._backend = fn.logs_backend
        self.group = fn.logs_group_name  # LoggingConfig.LogGroup when set
        self.config = dict(getattr(fn, "logging_config", None) or {})
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
        if self.config.get("LogFormat") == "JSON":
            lines = self._json_lines(invocation, output)
        else:
            lines = [f"START RequestId: {rid} Version: {invocation.version}"]
            lines += output.splitlines()
            lines += [f"END RequestId: {rid}", report]
        now = int(time.time() * 1000)
        limit = max_message_bytes()
        events = [{"timestamp": now, "message": _cut(m, limit)} for m in lines]
        try:
            self._put(events)
        except Exception:  # noqa: BLE001 - the group or stream is missing: create it, retry
            with contextlib.suppress(Exception):  # lost lines must never break an invocation
                self._create()
                self._put(events)
        return "\n".join(lines) + "\n"

    def _json_lines(self, invocation: Invocation, output: str) -> list[str]:
        """The invocation's lines with LogFormat JSON: platform lines as JSON objects, kept
        only when SystemLogLevel lets INFO through."""
        shown = log_format.system_allows(self.config)
        rid, lines = invocation.request_id, []
        metrics = {
            "durationMs": invocation.duration_ms,
            "billedDurationMs": invocation.billed_duration_ms,
            "memorySizeMB": invocation.memory_size_mb,
            "maxMemoryUsedMB": invocation.max_memory_used_mb,
        }
        if invocation.init_duration_ms is not None:
            metrics["initDurationMs"] = invocation.init_duration_ms
            if shown:
                record = {
                    "initializationType": invocation.initialization_type,
                    "phase": "init",
                    "functionName": invocation.function,
                    "functionVersion": invocation.version,
                }
                lines.append(log_format.platform("initStart", record))
        if shown:
            start = {"requestId": rid, "version": invocation.version}
            lines.append(log_format.platform("start", start))
        lines += output.splitlines()
        if shown:
            status = STATUS.get(invocation.outcome, "failure")
            report = {"requestId": rid, "metrics": metrics, "status": status}
            if invocation.error_type:
                report["errorType"] = invocation.error_type
            lines.append(log_format.platform("report", report))
        return lines

"""One line in the function's CloudWatch log for each call its role was denied.

AWS logs nothing of the sort: the handler only sees the error. The lab adds, before the `END`
line of the invocation, one line per denied call saying what was refused and what is missing
(the same diagnosis as `lab.explain_denial`), so reading the function's log is enough to fix
its policy. Denials are matched to an invocation by function name and time, so with several
concurrent invocations of one function a line may land in a sibling's log.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from course.lab.iam.enforcement import AccessRecord
from course.lab.iam.policy import suggested_statement

PREFIX = "[lab IAM] Denied:"
_state = SimpleNamespace(lab=None, installed=False)


def denial_line(record: AccessRecord) -> str:
    """What was refused and what is missing, on one line."""
    decision = record.decision
    if decision.explicit_deny:
        fix = "an explicit Deny wins: narrow or remove that Deny statement."
    else:
        fix = "add to the execution role " + json.dumps(suggested_statement(decision.request))
    return f"{PREFIX} {decision.message()}. To allow it, {fix}"


def denials_during(records: list[AccessRecord], function: str, start_s: float, end_s: float):
    """The denied checks of `function`'s role session between two epoch times (s)."""
    return [
        r
        for r in records
        if not r.allowed
        and r.principal.kind == "AssumedRole"
        and r.principal.name == function
        and start_s <= r.time.timestamp() <= end_s
    ]


def install(lab: Any) -> None:
    """Add the denial lines to every invocation's log (patch installed once)."""
    _state.lab = lab
    if _state.installed:
        return
    from course.lab.logs import FunctionLog

    original = FunctionLog.write_invocation

    def write_invocation(self: Any, invocation: Any, output: str) -> str:
        gate = _state.lab.iam
        if gate.enforce:
            end = invocation.start + invocation.duration_ms / 1000 + 0.5
            with gate._lock:
                records = list(gate.records)
            found = denials_during(records, invocation.function, invocation.start - 0.5, end)
            if found:
                lines = "\n".join(denial_line(r) for r in found)
                output = f"{output.rstrip(chr(10))}\n{lines}\n" if output.strip() else lines
        return original(self, invocation, output)

    FunctionLog.write_invocation = write_invocation
    _state.installed = True

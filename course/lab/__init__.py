"""The lab: the course's local AWS, offline on 127.0.0.1.

moto answers the AWS APIs; a Lambda runtime plugged into it really runs handlers in isolated
worker processes, with AWS's limits, logs, errors and triggers.

    import course.lab
    lab = course.lab.start()   # idempotent; plain boto3 clients now talk to the lab

Public names: `start`, `running`, `Lab`, `zip_source`, `REGION`, `ACCOUNT_ID`, `TRUST_POLICY`,
`Invocation`. Modules: `local_aws` (the Lab), `runtime` and `worker` (execution environments),
`control_plane` (AWS's validation), `async_invocation` (the event queue), `logs`, `events`
(sample events), `triggers` (event sources), `network_guard`, `iam` (IAM policy evaluation,
enforcement for handlers and IAM users, CloudTrail event history).

Nothing here imports the other wings (pricing, lessons, grading, exam).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Loaded on first use, so that `course.lab.worker` and `course.lab.network_guard` start light
# (every handler worker and test process imports those).
_PUBLIC = {
    "ACCOUNT_ID": "local_aws",
    "REGION": "local_aws",
    "TRUST_POLICY": "local_aws",
    "Lab": "local_aws",
    "running": "local_aws",
    "start": "local_aws",
    "zip_source": "local_aws",
    "Invocation": "invocation",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'course.lab' has no attribute {name!r}")
    return getattr(import_module(f"course.lab.{_PUBLIC[name]}"), name)

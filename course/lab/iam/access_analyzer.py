"""Explain denials and draft least-privilege policies from the calls a function really made.

In the spirit of IAM Access Analyzer's policy generation: `least_privilege_policy` groups every
permission an identity asked for (allowed or denied) into the smallest policy that covers
exactly those calls, one statement per set of resources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from course.lab.iam.enforcement import AccessRecord

VERSION = "2012-10-17"


def matching(
    records: Iterable[AccessRecord], function_name: str | None = None, role_arn: str | None = None
) -> list[AccessRecord]:
    """Records of one function (its role's session named after it) or of any caller."""
    found = []
    for record in records:
        principal = record.principal
        if function_name is not None and principal.name != function_name:
            continue
        if role_arn is not None and principal.role_arn != role_arn:
            continue
        found.append(record)
    return found


def explain(records: list[AccessRecord], index: int = -1) -> str:
    """Plain words on one denied call: the statements evaluated and what is missing."""
    denied = [r for r in records if not r.allowed]
    if not denied:
        return "No call was denied."
    record = denied[index]
    call = record.call
    head = (
        f"{call.service}:{call.operation} by {record.principal.arn} at "
        f"{record.time:%H:%M:%S} UTC was denied ({record.decision.message()})."
    )
    return f"{head}\n{record.decision.explain()}"


def least_privilege_policy(records: Iterable[AccessRecord]) -> dict[str, Any]:
    """The smallest identity policy covering every (action, resource) in `records`."""
    resources: dict[str, set[str]] = defaultdict(set)
    for record in records:
        resources[record.action].add(record.resource)
    by_resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for action, arns in resources.items():
        by_resources[tuple(sorted(arns))].append(action)
    statements = []
    for arns, actions in sorted(by_resources.items(), key=lambda item: sorted(item[1])):
        statements.append(
            {
                "Effect": "Allow",
                "Action": _one_or_list(sorted(actions)),
                "Resource": _one_or_list(list(arns)),
            }
        )
    return {"Version": VERSION, "Statement": statements}


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values

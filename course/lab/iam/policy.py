"""IAM policy evaluation, as AWS does it for one account: explicit Deny wins, an Allow is needed.

Pure: stdlib only. `evaluate(request, policies)` returns a `Decision` that keeps every statement
it looked at and why each one did or did not apply, so a denial can be explained in plain words.

Matching follows IAM's rules: actions are case-insensitive, ARNs are case-sensitive, `*` matches
any run of characters and `?` one character, in actions and in ARNs alike; `NotAction` and
`NotResource` match everything they do not list; condition keys are case-insensitive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

IDENTITY = "identity-based"
RESOURCE = "resource-based"
SESSION = "session"


class MalformedPolicyDocument(ValueError):
    """A policy document IAM would refuse (error type MalformedPolicyDocument)."""


@dataclass(frozen=True)
class Policy:
    """One policy document and where it comes from, e.g. 'inline policy P of role R'."""

    source: str
    document: Mapping[str, Any]
    kind: str = IDENTITY

    @classmethod
    def parse(cls, source: str, document: str | Mapping[str, Any], kind: str = IDENTITY) -> Policy:
        """A Policy from a JSON string (as IAM stores it) or an already parsed document."""
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError as exc:
                raise MalformedPolicyDocument(f"{source} is not valid JSON: {exc}") from None
        if not isinstance(document, Mapping) or "Statement" not in document:
            raise MalformedPolicyDocument(f"{source} has no Statement.")
        return cls(source, document, kind)

    def statements(self) -> list[Mapping[str, Any]]:
        statements = self.document["Statement"]
        return [statements] if isinstance(statements, Mapping) else list(statements)


@dataclass(frozen=True)
class Request:
    """One authorisation question: may `principal` do `action` on `resource`?

    `principal` is the caller's ARN, or a service name such as 's3.amazonaws.com' when a
    service calls on its own behalf. `context` holds condition keys (any case) and values.
    """

    principal: str
    action: str
    resource: str = "*"
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementResult:
    """One statement looked at during evaluation and whether it applied to the request."""

    source: str
    kind: str
    index: int
    sid: str | None
    effect: str
    applies: bool
    reason: str  # why it did not apply (empty when it did)
    statement: Mapping[str, Any]

    def name(self) -> str:
        label = f"statement {self.sid!r}" if self.sid else f"statement {self.index + 1}"
        return f"{label} of {self.source}"


@dataclass
class Decision:
    """The outcome for one Request, with the statements evaluated along the way."""

    request: Request
    allowed: bool
    denied_by: str | None = None  # IDENTITY / RESOURCE / SESSION for an explicit deny
    missing: str | None = None  # which kind of policy lacks an Allow (implicit deny)
    statements: list[StatementResult] = field(default_factory=list)

    @property
    def explicit_deny(self) -> bool:
        return self.denied_by is not None

    def message(self) -> str:
        """AWS's message for this denial ("User: ... is not authorized to perform: ...")."""
        action, resource = self.request.action, self.request.resource
        text = f"User: {self.request.principal} is not authorized to perform: {action}"
        if resource != "*":
            text += f" on resource: {resource}"
        if self.denied_by:
            return f"{text} with an explicit deny in {_article(self.denied_by)} policy"
        return f"{text} because no {self.missing or IDENTITY} policy allows the {action} action"

    def explain(self) -> str:
        """Which statements were evaluated and what is missing, in plain words."""
        request = self.request
        head = f"{request.principal} calling {request.action} on {request.resource}"
        if self.allowed:
            allowing = [s.name() for s in self.statements if s.applies and s.effect == "Allow"]
            return f"{head}: allowed by {', '.join(allowing)}."
        lines = [f"{head}: denied."]
        if not self.statements:
            lines.append("- No policy is attached to this identity, so nothing is allowed.")
        for result in self.statements:
            verdict = "applies" if result.applies else f"does not apply: {result.reason}"
            lines.append(f"- {result.name()} ({result.effect}) {verdict}.")
        if self.denied_by:
            lines.append(
                f"An explicit Deny always wins: remove or narrow the Deny above to allow "
                f"{request.action}."
            )
        else:
            lines.append(
                f"Missing: an Allow for {request.action} on {request.resource}, for example "
                + json.dumps(suggested_statement(request))
            )
        return "\n".join(lines)


def suggested_statement(request: Request) -> dict[str, Any]:
    """The smallest Allow statement that covers `request` (no conditions)."""
    return {"Effect": "Allow", "Action": request.action, "Resource": request.resource}


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def evaluate(request: Request, policies: Iterable[Policy]) -> Decision:
    """Decide `request` against identity, resource-based and session policies of one account.

    Explicit Deny in any policy denies. Otherwise an Allow in an identity-based or in a
    resource-based policy allows (same account), and when a session policy is present it must
    allow too.
    """
    policies = list(policies)
    decision = Decision(request, allowed=False)
    allows: dict[str, bool] = {}
    for policy in policies:
        allows.setdefault(policy.kind, False)
        for index, statement in enumerate(policy.statements()):
            applies, reason = statement_applies(statement, request, policy.kind)
            effect = str(statement.get("Effect", ""))
            decision.statements.append(
                StatementResult(
                    policy.source,
                    policy.kind,
                    index,
                    statement.get("Sid"),
                    effect,
                    applies,
                    reason,
                    statement,
                )
            )
            if not applies:
                continue
            if effect == "Deny" and decision.denied_by is None:
                decision.denied_by = policy.kind
            elif effect == "Allow":
                allows[policy.kind] = True
    if decision.denied_by:
        return decision
    granted = allows.get(IDENTITY, False) or allows.get(RESOURCE, False)
    if SESSION in allows and not allows[SESSION] and not allows.get(RESOURCE, False):
        decision.missing = SESSION
        return decision
    if not granted:
        # An IAM identity lacks an identity-based Allow; a service lacks a resource-based one.
        decision.missing = IDENTITY if request.principal.startswith("arn:") else RESOURCE
        return decision
    decision.allowed = True
    return decision


def statement_applies(
    statement: Mapping[str, Any], request: Request, kind: str = IDENTITY
) -> tuple[bool, str]:
    """Whether one statement matches the request, and if not, why (in plain words)."""
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(
            f"Effect must be Allow or Deny, not {statement.get('Effect')!r}."
        )
    if kind == RESOURCE and not principal_matches(statement, request.principal):
        return False, f"its Principal does not name {request.principal}"
    if "Action" in statement:
        if not any(action_matches(p, request.action) for p in _values(statement["Action"])):
            return False, f"its Action does not include {request.action}"
    elif "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _values(statement["NotAction"])):
            return False, f"its NotAction excludes {request.action}"
    else:
        raise MalformedPolicyDocument("A statement needs Action or NotAction.")
    if "Resource" in statement:
        patterns = _values(statement["Resource"])
        if not any(resource_matches(p, request.resource) for p in patterns):
            return False, f"its Resource {_list(patterns)} does not match {request.resource}"
    elif "NotResource" in statement:
        patterns = _values(statement["NotResource"])
        if any(resource_matches(p, request.resource) for p in patterns):
            return False, f"its NotResource excludes {request.resource}"
    elif kind != RESOURCE:
        raise MalformedPolicyDocument("A statement needs Resource or NotResource.")
    return conditions_hold(statement.get("Condition") or {}, request.context)


def principal_matches(statement: Mapping[str, Any], principal: str) -> bool:
    """Whether a resource-based statement's Principal (or NotPrincipal) names `principal`."""
    if "NotPrincipal" in statement:
        return not _principal_listed(statement["NotPrincipal"], principal)
    return _principal_listed(statement.get("Principal"), principal)


def _principal_listed(value: Any, principal: str) -> bool:
    if value == "*":
        return True
    names = (
        [n for v in value.values() for n in _values(v)]
        if isinstance(value, Mapping)
        else _values(value)
    )
    account = principal.split(":")[4] if principal.startswith("arn:") else None
    for name in names:
        if name in ("*", principal):
            return True
        if account and name in (account, f"arn:aws:iam::{account}:root"):
            return True
        if principal.startswith("arn:aws:sts::") and ":assumed-role/" in principal:
            role = principal.split(":assumed-role/")[1].split("/")[0]
            if name == f"arn:aws:iam::{account}:role/{role}":
                return True
    return False


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, with * and ? wildcards."""
    return _wildcard(pattern.lower()).fullmatch(action.lower()) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: case-sensitive, with * and ? wildcards (also across ':' and '/')."""
    return pattern == "*" or _wildcard(pattern).fullmatch(arn) is not None


@lru_cache(maxsize=4096)
def _wildcard(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


# -- conditions ---------------------------------------------------------------------------
def _string_equals(wanted: str, actual: str) -> bool:
    return wanted == actual


def _string_equals_ignore_case(wanted: str, actual: str) -> bool:
    return wanted.lower() == actual.lower()


def _string_like(wanted: str, actual: str) -> bool:
    return _wildcard(wanted).fullmatch(actual) is not None


def _arn_like(wanted: str, actual: str) -> bool:
    """ARN matching part by part (the six colon-separated parts), with wildcards."""
    want, have = wanted.split(":", 5), actual.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return _string_like(wanted, actual)
    return all(_string_like(w, h) for w, h in zip(want, have, strict=True))


def _bool(wanted: str, actual: str) -> bool:
    return str(wanted).lower() == str(actual).lower()


def _numeric(compare: Any) -> Any:
    def test(wanted: str, actual: str) -> bool:
        try:
            return compare(float(actual), float(wanted))
        except ValueError:
            return False

    return test


_OPERATORS: dict[str, tuple[Any, bool]] = {
    # operator: (test of one policy value against one request value, negated)
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric(lambda a, w: a == w), False),
    "NumericNotEquals": (_numeric(lambda a, w: a == w), True),
    "NumericLessThan": (_numeric(lambda a, w: a < w), False),
    "NumericLessThanEquals": (_numeric(lambda a, w: a <= w), False),
    "NumericGreaterThan": (_numeric(lambda a, w: a > w), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, w: a >= w), False),
}


def conditions_hold(
    condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]
) -> tuple[bool, str]:
    """Every operator and every key must hold (AND); a key's values are alternatives (OR)."""
    lowered = {k.lower(): v for k, v in context.items()}
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            if not _condition_holds(operator, key, _values(wanted), lowered.get(key.lower())):
                shown = _list(_values(wanted))
                actual = lowered.get(key.lower())
                have = "is not in the request" if actual is None else f"is {_list(_values(actual))}"
                return False, f"its Condition {operator} {key} {shown} fails ({key} {have})"
    return True, ""


def _condition_holds(operator: str, key: str, wanted: list[str], actual: Any) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null":
        return (actual is None) == (str(wanted[0]).lower() == "true")
    if name not in _OPERATORS:
        raise MalformedPolicyDocument(f"Condition operator {operator} is not supported by the lab.")
    test, negated = _OPERATORS[name]
    if actual is None:
        return if_exists or negated
    values = _values(actual)
    if qualifier == "ForAllValues":
        return all(_one(test, negated, wanted, v) for v in values)
    return any(_one(test, negated, wanted, v) for v in values)


def _one(test: Any, negated: bool, wanted: list[str], actual: str) -> bool:
    matched = any(test(str(w), str(actual)) for w in wanted)
    return not matched if negated else matched


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _list(values: list[Any]) -> str:
    return values[0] if len(values) == 1 else "[" + ", ".join(map(str, values)) + "]"

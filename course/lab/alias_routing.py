"""Alias routing: an alias with RoutingConfig sends a share of invocations to a second version.

moto stores an alias's `RoutingConfig` but always runs the alias's main version. As on AWS,
each invocation of the alias runs the additional version with probability equal to its weight
(0.0-1.0) and the main version otherwise, whatever invoked it. `resolve()` is the one place the
lab turns a function name or ARN into the version that one execution runs: `install()` wraps
moto's `LambdaBackend.invoke` with it (Invoke, sync or async; the version that ran is returned
as `ExecutedVersion`), and every trigger (S3, SNS, EventBridge, CloudWatch Logs, Cognito,
API Gateway, event source mappings) calls it for each event or batch it delivers. A version ARN
runs that version, with the code and configuration frozen when it was published.
An asynchronous event is routed once, when Lambda accepts it; its retries run the same version.
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

from moto.awslambda.models import LambdaBackend

from course.lab.invocation import INVOKED_ALIAS_ARN

_originals: dict[str, Callable[..., Any]] = {}
_random = random.Random()


def install() -> None:
    """Route alias invocations by weight; qualified permissions name their target (idempotent)."""
    if _originals:
        return
    _originals["invoke"] = LambdaBackend.invoke
    _originals["add_permission"] = LambdaBackend.add_permission
    LambdaBackend.invoke = _invoke
    LambdaBackend.add_permission = _add_permission


def uninstall() -> None:
    """Give back moto's own invoke."""
    if _originals:
        LambdaBackend.invoke = _originals.pop("invoke")
        LambdaBackend.add_permission = _originals.pop("add_permission")


def seed(value: int | None) -> None:
    """Make the routing draws repeatable (for lessons with stored outputs)."""
    _random.seed(value)


def split(function_name: str, qualifier: str | None) -> tuple[str, str | None]:
    """The bare function name and the qualifier, from a name, a `name:qualifier` or an ARN."""
    name = function_name
    if name.startswith("arn:"):
        name = name.split(":function:", 1)[1]
    if ":" in name:
        name, qualifier = name.split(":", 1)
    return name, qualifier


def route(backend: LambdaBackend, function_name: str, qualifier: str | None) -> str | None:
    """The version one invocation of `function_name:qualifier` runs (the qualifier if no alias)."""
    name, qualifier = split(function_name, qualifier)
    if qualifier is None or qualifier == "$LATEST" or re.fullmatch(r"\d+", qualifier):
        return qualifier
    aliases = backend._lambdas._get_function_aliases(name)
    alias = aliases.get(qualifier)
    if alias is None:
        return qualifier
    weights = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
    draw = _random.random()
    for version, weight in weights.items():
        if draw < float(weight):
            return str(version)
        draw -= float(weight)
    return str(alias.function_version)


def resolve(backend: LambdaBackend, function_name: str, qualifier: str | None = None) -> Any:
    """The moto function (a version, or $LATEST) that one execution of `function_name` runs.

    `function_name` is a name, `name:qualifier` or an ARN; an alias picks by its weights.
    Raises moto's ResourceNotFound error for an unknown function, version or alias.
    """
    name, qualifier = split(function_name, qualifier)
    return backend.get_function(name, route(backend, name, qualifier))


def target_arn(backend: LambdaBackend, function_name: str, qualifier: str | None = None) -> str:
    """The ARN AWS keeps for a trigger's target: unqualified, a version's or an alias's."""
    name, qualifier = split(function_name, qualifier)
    fn = backend.get_function(name, qualifier)  # ResourceNotFound for an unknown target
    if qualifier and is_alias(backend, name, qualifier):
        return f"{backend.get_function(name).function_arn}:{qualifier}"
    return fn.function_arn


@contextlib.contextmanager
def invoked_as(
    backend: LambdaBackend, function_name: str, qualifier: str | None = None
) -> Iterator[None]:
    """Within this block, an invocation of `function_name` that names an alias shows the
    handler the alias's ARN as `context.invoked_function_arn`, as AWS does (an asynchronous
    event keeps it for its run and retries)."""
    name, qualifier = split(function_name, qualifier)
    token = None
    if qualifier and is_alias(backend, name, qualifier):
        token = INVOKED_ALIAS_ARN.set(f"{backend.get_function(name).function_arn}:{qualifier}")
    try:
        yield
    finally:
        if token is not None:
            INVOKED_ALIAS_ARN.reset(token)


def is_alias(backend: LambdaBackend, name: str, qualifier: str) -> bool:
    """Whether `qualifier` names an alias of function `name` (not a version or $LATEST)."""
    return qualifier in backend._lambdas._get_function_aliases(name)


def _invoke(
    self: LambdaBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> Any:
    name, _ = split(function_name, qualifier)
    version = route(self, function_name, qualifier)
    target = function_name if version is None else name
    with invoked_as(self, function_name, qualifier):
        return _originals["invoke"](self, target, version, body, headers, response_headers)


def _add_permission(
    self: LambdaBackend, function_name: str, qualifier: str | None, raw: str
) -> Any:
    """A permission on `name:alias` or a qualified ARN names that alias or version, as on AWS.

    moto reads the qualifier only from the Qualifier parameter; a trigger whose target is an
    alias ARN is then refused, since the statement names the unqualified function.
    """
    name, qualifier = split(function_name, qualifier)
    return _originals["add_permission"](
        self, name, None if qualifier == "$LATEST" else qualifier, raw
    )

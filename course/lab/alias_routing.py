"""Alias routing: an alias with RoutingConfig sends a share of invocations to a second version.

moto stores an alias's `RoutingConfig` but always runs the alias's main version. `install()`
wraps moto's `LambdaBackend.invoke` so that, as on AWS, each invocation of the alias runs the
additional version with probability equal to its weight (0.0-1.0) and the main version
otherwise. The version that ran is returned as `ExecutedVersion` by the invoke path.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaBackend

_originals: dict[str, Callable[..., Any]] = {}
_random = random.Random()


def install() -> None:
    """Route alias invocations by weight (idempotent)."""
    if _originals:
        return
    _originals["invoke"] = LambdaBackend.invoke
    LambdaBackend.invoke = _invoke


def uninstall() -> None:
    """Give back moto's own invoke."""
    if _originals:
        LambdaBackend.invoke = _originals.pop("invoke")


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
    return _originals["invoke"](self, target, version, body, headers, response_headers)

"""Lambda@Edge in the lab: functions deployed as AWS requires, invoked with CloudFront events.

CloudFront accepts a function for a cache behaviour's `LambdaFunctionAssociations` only when
it is a numbered version (not $LATEST, not an alias) of a function in `edge.authoring_region`,
without the settings in `edge.restrictions`, and within the memory and timeout limits of its
event type (`edge.viewer` for viewer-request/-response, `edge.origin` for origin-request/
-response). `install()` makes moto's Create/UpdateDistribution check that, with CloudFront's
InvalidLambdaFunctionAssociation error, and keep the associations. A function with a version
associated is in Edge mode (AWS replicates it): update_function_configuration that adds a
setting Lambda@Edge refuses, or publish_version of a configuration that breaks the rules,
fails with InvalidParameterValueException. `invoke()` runs a function
with a CloudFront-shaped event, after the same check. The lab has no edge locations: the
function runs in the lab like any other.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from course.facts import fact

VIEWER, ORIGIN = ("viewer-request", "viewer-response"), ("origin-request", "origin-response")
LIMITS = {**dict.fromkeys(VIEWER, "edge.viewer"), **dict.fromkeys(ORIGIN, "edge.origin")}
DOMAIN = "d111111abcdef8.cloudfront.net"  # CloudFront's documentation example domain
_originals: dict[str, Callable[..., Any]] = {}


class InvalidLambdaFunctionAssociation(Exception):
    """CloudFront refused the function for Lambda@Edge."""


def install() -> None:
    """Check and keep LambdaFunctionAssociations on Create/UpdateDistribution, and keep a
    function in Edge mode (one of its versions associated) within the rules (idempotent)."""
    from moto.awslambda.models import LambdaBackend
    from moto.cloudfront.models import CloudFrontBackend

    if _originals:
        return
    _originals["create"] = CloudFrontBackend.create_distribution_with_tags
    _originals["update"] = CloudFrontBackend.update_distribution
    _originals["update_function"] = LambdaBackend.update_function_configuration
    _originals["publish"] = LambdaBackend.publish_version

    def create(self: Any, distribution_config: dict[str, Any], tags: list) -> Any:
        _check_distribution(distribution_config)
        given = _given(distribution_config)
        result = _originals["create"](self, distribution_config, tags)
        _keep(result[0], given)
        return result

    def update(self: Any, dist_config: dict[str, Any], _id: str, if_match: bool) -> Any:
        _check_distribution(dist_config or {})
        given = _given(dist_config or {})
        result = _originals["update"](self, dist_config, _id, if_match)
        _keep(result[0], given)
        return result

    def update_function(self: Any, name: str, qualifier: Any, body: dict[str, Any]) -> Any:
        _check_edge_mode(self, name, body, changed=set(body))
        return _originals["update_function"](self, name, qualifier, body)

    def publish(self: Any, name: str, description: str = "") -> Any:
        _check_edge_mode(self, name, {}, changed=None)
        return _originals["publish"](self, name, description)

    CloudFrontBackend.create_distribution_with_tags = create
    CloudFrontBackend.update_distribution = update
    LambdaBackend.update_function_configuration = update_function
    LambdaBackend.publish_version = publish


def _behaviours(distribution_config: dict[str, Any]) -> list[dict[str, Any]]:
    behaviours = [distribution_config.get("DefaultCacheBehavior") or {}]
    cache = (distribution_config.get("CacheBehaviors") or {}).get("Items") or []
    return behaviours + (cache if isinstance(cache, list) else [cache])


def _associations(behaviour: dict[str, Any]) -> list[dict[str, Any]]:
    items = (behaviour.get("LambdaFunctionAssociations") or {}).get("Items") or []
    return items if isinstance(items, list) else [items]


def _check_distribution(distribution_config: dict[str, Any]) -> None:
    """CloudFront's InvalidLambdaFunctionAssociation for the first association it refuses."""
    from moto.cloudfront.exceptions import CloudFrontException

    for behaviour in _behaviours(distribution_config):
        for item in _associations(behaviour):
            try:
                check(item.get("LambdaFunctionARN", ""), item.get("EventType", ""))
            except InvalidLambdaFunctionAssociation as exc:
                raise CloudFrontException("InvalidLambdaFunctionAssociation", str(exc)) from None


def _given(distribution_config: dict[str, Any]) -> list[Any]:
    """Each behaviour's LambdaFunctionAssociations as given (moto replaces the dicts)."""
    return [b.get("LambdaFunctionAssociations") for b in _behaviours(distribution_config)]


def _keep(distribution: Any, given: list[Any]) -> None:
    """Keep the associations moto drops, as CloudFront returns them."""
    for behaviour, kept in zip(_kept_behaviours(distribution), given, strict=False):
        if kept:
            behaviour.lambda_function_associations = kept


def _kept_behaviours(distribution: Any) -> list[Any]:
    config = distribution.distribution_config
    return [config.DefaultCacheBehavior, *(config.CacheBehaviors.get("Items") or [])]


def associations(function_name: str) -> list[tuple[str, str, str]]:
    """(distribution id, version ARN, event type) for each CloudFront association of a version
    of `function_name`: a function with any is in Edge mode (replicated on AWS)."""
    from moto.cloudfront.models import cloudfront_backends

    found = []
    for partitions in list(cloudfront_backends.values()):
        for backend in list(partitions.values()):
            for distribution in list(backend.distributions.values()):
                for behaviour in _kept_behaviours(distribution):
                    kept = {"LambdaFunctionAssociations": behaviour.lambda_function_associations}
                    for item in _associations(kept):
                        arn = item.get("LambdaFunctionARN", "")
                        if arn.split(":")[6:7] == [function_name]:
                            found.append((distribution.distribution_id, arn, item["EventType"]))
    return found


def _check_edge_mode(
    backend: Any, name: str, changes: dict[str, Any], changed: set[str] | None
) -> None:
    """Refuse an update (of the `changed` settings) or a publish (changed=None: every setting)
    that would give a function in Edge mode a setting Lambda@Edge does not allow."""
    from moto.awslambda.exceptions import InvalidParameterValueException

    fn = backend.get_function(name)
    config = {**fn.get_configuration(), **changes}
    for distribution_id, arn, event_type in associations(fn.function_name):
        for setting, reason in violations(config, event_type, arn):
            if changed is None or setting in changed:
                # AWS's own wording for this Lambda-side refusal was not found; the reason is
                # CloudFront's, with where the function is used.
                raise InvalidParameterValueException(
                    f"{reason} Function {fn.function_name} is in Lambda@Edge mode: CloudFront "
                    f"distribution {distribution_id} uses {arn} for {event_type}."
                )


def check(function_arn: str, event_type: str) -> None:
    """Raise InvalidLambdaFunctionAssociation unless CloudFront would accept this function."""
    import boto3

    if event_type not in LIMITS:
        raise InvalidLambdaFunctionAssociation(
            f"The event type {event_type!r} is not one of {', '.join(LIMITS)}."
        )
    match = re.fullmatch(
        r"arn:aws:lambda:([^:]+):(\d+):function:([^:]+)(?::([^:]+))?", function_arn
    )
    if not match or not (match.group(4) or "").isdigit():
        raise InvalidLambdaFunctionAssociation(
            "The function ARN must reference a specific function version. (The ARN must end "
            f"with the version number, not $LATEST or an alias.) ARN: {function_arn}"
        )
    region = fact("edge.authoring_region").value
    if match.group(1) != region:
        raise InvalidLambdaFunctionAssociation(
            f"The function must be in region '{region}' ({fact('edge.placement').value})"
        )
    lam = boto3.client("lambda", region_name=region)
    config = lam.get_function_configuration(FunctionName=function_arn)
    for _setting, reason in violations(config, event_type, function_arn):
        raise InvalidLambdaFunctionAssociation(reason)


def violations(config: dict[str, Any], event_type: str, function_arn: str) -> list[tuple[str, str]]:
    """(API setting, reason) for each rule of Lambda@Edge that a function configuration breaks."""
    refused = {
        "environment variables": (
            "Environment",
            (config.get("Environment") or {}).get("Variables"),
        ),
        "layers": ("Layers", config.get("Layers")),
        "VPC configuration": ("VpcConfig", (config.get("VpcConfig") or {}).get("SubnetIds")),
        "dead-letter queue": (
            "DeadLetterConfig",
            (config.get("DeadLetterConfig") or {}).get("TargetArn"),
        ),
    }
    found = []
    for setting in fact("edge.restrictions").value:
        key, value = refused[setting]
        if value:
            found.append(
                (
                    key,
                    f"The function cannot have {setting}: Lambda@Edge does not support them "
                    f"(edge.restrictions in the course facts file). ARN: {function_arn}",
                )
            )
    limits = fact(LIMITS[event_type])
    if config["MemorySize"] > limits.value["memory_mb"]:
        found.append(
            (
                "MemorySize",
                f"The function memory size ({config['MemorySize']} MB) must be at most "
                f"{limits.value['memory_mb']} MB for {event_type} ({limits.id}, {limits.cite()}).",
            )
        )
    if config["Timeout"] > limits.value["timeout_s"]:
        found.append(
            (
                "Timeout",
                "The function execution time limit must be less than or equal to "
                f"{limits.value['timeout_s']} seconds for {event_type} (it is "
                f"{config['Timeout']} s; {limits.id}, {limits.cite()}).",
            )
        )
    return found


def event(
    event_type: str,
    uri: str = "/",
    *,
    method: str = "GET",
    querystring: str = "",
    headers: dict[str, str] | None = None,
    status: int = 200,
    distribution_id: str = "EDFDVBD6EXAMPLE",
) -> dict[str, Any]:
    """A CloudFront event for `event_type`: Records[0].cf with config, request (and response)."""
    shown = {"Host": DOMAIN, "User-Agent": "curl/8.5.0", **(headers or {})}
    request = {
        "clientIp": "203.0.113.178",
        "headers": {k.lower(): [{"key": k, "value": v}] for k, v in shown.items()},
        "method": method,
        "querystring": querystring,
        "uri": uri,
    }
    cf: dict[str, Any] = {
        "config": {
            "distributionDomainName": DOMAIN,
            "distributionId": distribution_id,
            "eventType": event_type,
            "requestId": uuid.uuid4().hex,
        },
        "request": request,
    }
    if event_type.endswith("-response"):
        cf["response"] = {
            "status": str(status),
            "statusDescription": "OK" if status == 200 else "",
            "headers": {"content-type": [{"key": "Content-Type", "value": "text/html"}]},
        }
    return {"Records": [{"cf": cf}]}


def invoke(function_arn: str, event_type: str, **request: Any) -> Any:
    """Check the function as CloudFront would, run it with a CloudFront event, return its answer."""
    import boto3

    check(function_arn, event_type)
    lam = boto3.client("lambda", region_name=fact("edge.authoring_region").value)
    answer = lam.invoke(FunctionName=function_arn, Payload=json.dumps(event(event_type, **request)))
    return json.loads(answer["Payload"].read())

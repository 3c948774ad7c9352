"""Lambda@Edge in the lab: functions deployed as AWS requires, invoked with CloudFront events.

CloudFront accepts a function for a cache behaviour's `LambdaFunctionAssociations` only when
it is a numbered version (not $LATEST, not an alias) of a function in `edge.authoring_region`,
without the settings in `edge.restrictions`, and within the memory and timeout limits of its
event type (`edge.viewer` for viewer-request/-response, `edge.origin` for origin-request/
-response). `install()` makes moto's CreateDistribution check that, with CloudFront's
InvalidLambdaFunctionAssociation error, and keep the associations. `invoke()` runs a function
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
    """Check and keep LambdaFunctionAssociations on CreateDistribution (idempotent)."""
    from moto.cloudfront.models import CloudFrontBackend

    if _originals:
        return
    _originals["create"] = CloudFrontBackend.create_distribution_with_tags

    def create(self: Any, distribution_config: dict[str, Any], tags: list) -> Any:
        behaviours = [distribution_config.get("DefaultCacheBehavior") or {}]
        behaviours += (distribution_config.get("CacheBehaviors") or {}).get("Items") or []
        for behaviour in behaviours:
            for item in _associations(behaviour):
                try:
                    check(item.get("LambdaFunctionARN", ""), item.get("EventType", ""))
                except InvalidLambdaFunctionAssociation as exc:
                    from moto.cloudfront.exceptions import CloudFrontException

                    raise CloudFrontException(
                        "InvalidLambdaFunctionAssociation", str(exc)
                    ) from None
        default = distribution_config.get("DefaultCacheBehavior") or {}
        kept = default.get("LambdaFunctionAssociations")
        result = _originals["create"](self, distribution_config, tags)
        if kept:  # moto drops them; CloudFront returns them
            behaviour = result[0].distribution_config.DefaultCacheBehavior
            behaviour.lambda_function_associations = kept
        return result

    CloudFrontBackend.create_distribution_with_tags = create


def _associations(behaviour: dict[str, Any]) -> list[dict[str, Any]]:
    items = (behaviour.get("LambdaFunctionAssociations") or {}).get("Items") or []
    return items if isinstance(items, list) else [items]


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
    refused = {
        "environment variables": (config.get("Environment") or {}).get("Variables"),
        "layers": config.get("Layers"),
        "VPC configuration": (config.get("VpcConfig") or {}).get("SubnetIds"),
        "dead-letter queue": (config.get("DeadLetterConfig") or {}).get("TargetArn"),
    }
    for setting in fact("edge.restrictions").value:
        if refused.get(setting):
            raise InvalidLambdaFunctionAssociation(
                f"The function cannot have {setting}: Lambda@Edge does not support them "
                f"(edge.restrictions in the course facts file). ARN: {function_arn}"
            )
    limits = fact(LIMITS[event_type])
    if config["MemorySize"] > limits.value["memory_mb"]:
        raise InvalidLambdaFunctionAssociation(
            f"The function memory size ({config['MemorySize']} MB) must be at most "
            f"{limits.value['memory_mb']} MB for {event_type} ({limits.id}, {limits.cite()})."
        )
    if config["Timeout"] > limits.value["timeout_s"]:
        raise InvalidLambdaFunctionAssociation(
            "The function execution time limit must be less than or equal to "
            f"{limits.value['timeout_s']} seconds for {event_type} (it is {config['Timeout']} s; "
            f"{limits.id}, {limits.cite()})."
        )


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

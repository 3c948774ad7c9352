"""CloudTrail's event history for the lab: management events and denied calls, via LookupEvents.

moto 5.2.5's CloudTrail backend stores trails but records no events and has no LookupEvents.
The lab's IAM gate (course.lab.iam.enforcement) calls `record` for every management event that
succeeds (creating, changing or deleting functions, roles, policies, permissions, buckets...)
and for every denied call, data events included. `install()` adds LookupEvents to moto's
CloudTrail API, with AWS's filters (one LookupAttribute, StartTime, EndTime, MaxResults,
NextToken) and an AWS-shaped `CloudTrailEvent` JSON document per event.

Events live on moto's CloudTrail backend of the call's account and Region, so the lab's
reset() wipes them with the rest of the AWS state.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

LOOKUP_KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
MAX_RESULTS = 50  # LookupEvents returns at most 50 events per page
_lock = threading.Lock()
_RESOURCE_TYPES = {
    ("lambda", "function"): "AWS::Lambda::Function",
    ("iam", "role"): "AWS::IAM::Role",
    ("iam", "user"): "AWS::IAM::User",
    ("iam", "group"): "AWS::IAM::Group",
    ("iam", "policy"): "AWS::IAM::Policy",
    ("s3", "bucket"): "AWS::S3::Bucket",
    ("s3", "object"): "AWS::S3::Object",
    ("dynamodb", "table"): "AWS::DynamoDB::Table",
    ("sqs", ""): "AWS::SQS::Queue",
    ("sns", ""): "AWS::SNS::Topic",
    ("logs", "log-group"): "AWS::Logs::LogGroup",
    ("secretsmanager", "secret"): "AWS::SecretsManager::Secret",
    ("ssm", "parameter"): "AWS::SSM::Parameter",
    ("kms", "key"): "AWS::KMS::Key",
    ("events", "event-bus"): "AWS::Events::EventBus",
    ("events", "rule"): "AWS::Events::Rule",
    ("kinesis", "stream"): "AWS::Kinesis::Stream",
}
_NAME_PARAMS = ("FunctionName", "RoleName", "UserName", "GroupName", "PolicyName", "Bucket")
_S3_NAMES = {"Bucket": "bucketName"}  # CloudTrail's names where lowerCamelCase is not enough
_BULKY = ("ZipFile", "Body", "Payload", "Code", "SecretString", "SecretBinary", "Plaintext")


def record(
    *,
    account: str,
    region: str,
    identity: dict[str, Any],
    username: str,
    call: Any,
    error_code: str | None = None,
    error_message: str | None = None,
    user_agent: str = "",
    when: datetime | None = None,
) -> dict[str, Any]:
    """Store one event (an AWS API call seen by the lab) and return its LookupEvents entry."""
    from moto.cloudtrail.models import cloudtrail_backends

    when = when or datetime.now(UTC)
    event_id = str(uuid.uuid4())
    detail = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": call.event_source,
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": user_agent,
        "requestParameters": _request_parameters(call.params),
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": call.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": not call.data_event,
        "recipientAccountId": account,
        "eventCategory": "Data" if call.data_event else "Management",
    }
    if error_code:
        detail["errorCode"] = error_code
        detail["errorMessage"] = error_message or ""
    entry = {
        "EventId": event_id,
        "EventName": call.operation,
        "ReadOnly": str(call.read_only).lower(),
        "AccessKeyId": identity.get("accessKeyId", ""),
        "EventTime": when,
        "EventSource": call.event_source,
        "Username": username,
        "Resources": _resources(call),
        "CloudTrailEvent": json.dumps(detail),
    }
    backend = cloudtrail_backends[account][call.region]
    with _lock:
        if not hasattr(backend, "lab_events"):
            backend.lab_events = []
        backend.lab_events.append(entry)
    return entry


def lookup(backend: Any, request: dict[str, Any]) -> dict[str, Any]:
    """LookupEvents on one backend: newest first, filtered, paginated as AWS does."""
    attributes = request.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise _error(
            "InvalidLookupAttributesException", "You can only specify one lookup attribute."
        )
    events = list(reversed(getattr(backend, "lab_events", [])))
    for attribute in attributes:
        key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue", "")
        if key not in LOOKUP_KEYS:
            raise _error(
                "InvalidLookupAttributesException",
                f"Invalid attribute key {key!r}; valid keys are {', '.join(LOOKUP_KEYS)}.",
            )
        events = [e for e in events if value in _values(e, key)]
    start, end = request.get("StartTime"), request.get("EndTime")
    if start is not None:
        events = [e for e in events if e["EventTime"].timestamp() >= float(start)]
    if end is not None:
        events = [e for e in events if e["EventTime"].timestamp() <= float(end)]
    size = int(request.get("MaxResults") or MAX_RESULTS)
    if not 1 <= size <= MAX_RESULTS:
        raise _error("InvalidMaxResultsException", f"MaxResults must be 1 to {MAX_RESULTS}.")
    offset = int(request.get("NextToken") or 0)
    page = events[offset : offset + size]
    response: dict[str, Any] = {
        "Events": [{**e, "EventTime": e["EventTime"].timestamp()} for e in page]
    }
    if offset + size < len(events):
        response["NextToken"] = str(offset + size)
    return response


def install() -> None:
    """Add LookupEvents to moto's CloudTrail API (idempotent)."""
    from moto.cloudtrail.responses import CloudTrailResponse

    def lookup_events(self: Any) -> str:
        return json.dumps(lookup(self.cloudtrail_backend, json.loads(self.body or "{}")))

    CloudTrailResponse.lookup_events = lookup_events


def _values(event: dict[str, Any], key: str) -> list[str]:
    if key in ("ResourceName", "ResourceType"):
        return [r[key] for r in event["Resources"]]
    return [event[key]]


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _request_parameters(params: Any) -> dict[str, Any] | None:
    """The call's simple parameters, named as CloudTrail names them (functionName, bucketName)."""
    kept = {
        _S3_NAMES.get(k, k[:1].lower() + k[1:]): v
        for k, v in dict(params).items()
        if k not in _BULKY and k not in ("Action", "Version") and isinstance(v, str | int | bool)
    }
    return kept or None


def _resources(call: Any) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for _, arn in call.checks:
        if arn == "*":
            continue
        parts = arn.split(":", 5)
        service = parts[2] if len(parts) > 2 else ""
        rest = parts[5] if len(parts) > 5 else ""
        kind = rest.split("/")[0].split(":")[0] if ("/" in rest or ":" in rest) else ""
        if service == "s3":
            kind = "object" if "/" in rest else "bucket"
        resource_type = _RESOURCE_TYPES.get((service, kind), f"AWS::{service}::{kind}")
        found.append({"ResourceType": resource_type, "ResourceName": arn})
    short = next((call.params.get(p) for p in _NAME_PARAMS if call.params.get(p)), None)
    if found and isinstance(short, str) and not short.startswith("arn:"):
        found.insert(0, {"ResourceType": found[0]["ResourceType"], "ResourceName": short})
    unique = {(r["ResourceType"], r["ResourceName"]): r for r in found}
    return list(unique.values())

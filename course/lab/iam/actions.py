"""From an AWS API request to what IAM authorises: the action(s) and the resource ARN(s).

The action is the service's IAM prefix and the botocore operation name (dynamodb:PutItem,
sqs:SendMessage), as AWS does for most operations. The exceptions AWS documents in its
Service Authorization Reference are in `_S3_ACTIONS`, `_LAMBDA_ACTIONS` and `_SQS_ACTIONS`
(for example S3's ListObjectsV2 is s3:ListBucket, HeadObject is s3:GetObject, Lambda's Invoke
is lambda:InvokeFunction, SQS's SendMessageBatch is sqs:SendMessage). A call may need several
permissions: CopyObject needs s3:GetObject on the source and s3:PutObject on the copy,
CreateFunction needs iam:PassRole on the execution role, BatchWriteItem needs
dynamodb:BatchWriteItem on every table it writes.

Operations that name no resource (ListBuckets, ListFunctions, ListQueues...) are checked
against "*", as AWS does. Services the course does not use get the prefix:Operation action on
"*".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

# IAM's service prefix when it differs from the SigV4 signing name.
_PREFIX = {"dynamodbstreams": "dynamodb", "cognito-idp": "cognito-idp"}

_S3_ACTIONS = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "HeadObject": "GetObject",
    "ListBuckets": "ListAllMyBuckets",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListParts": "ListMultipartUploadParts",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "AbortMultipartUpload": "AbortMultipartUpload",
    "DeleteObjects": "DeleteObject",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "DeleteBucketTagging": "PutBucketTagging",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "PutBucketCors": "PutBucketCORS",
    "GetBucketCors": "GetBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketLocation": "GetBucketLocation",
}
_LAMBDA_ACTIONS = {
    "Invoke": "InvokeFunction",
    "InvokeWithResponseStream": "InvokeFunction",
    "InvokeAsync": "InvokeFunction",
}
_SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# Calls every identity may make: AWS checks no permission for them.
UNCHECKED = frozenset({"sts:GetCallerIdentity"})
# Operations that read or write data (CloudTrail data events), not management events.
DATA_EVENTS = frozenset(
    {
        "lambda:Invoke",
        "lambda:InvokeAsync",
        "lambda:InvokeWithResponseStream",
        *(
            f"dynamodb:{op}"
            for op in [
                "GetItem",
                "PutItem",
                "UpdateItem",
                "DeleteItem",
                "Query",
                "Scan",
                "BatchGetItem",
                "BatchWriteItem",
                "TransactGetItems",
                "TransactWriteItems",
                "ExecuteStatement",
            ]
        ),
        "dynamodbstreams:GetRecords",
        "dynamodbstreams:GetShardIterator",
        *(
            f"sqs:{op}"
            for op in [
                "SendMessage",
                "SendMessageBatch",
                "ReceiveMessage",
                "DeleteMessage",
                "DeleteMessageBatch",
                "ChangeMessageVisibility",
                "ChangeMessageVisibilityBatch",
            ]
        ),
        "sns:Publish",
        "sns:PublishBatch",
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "logs:PutLogEvents",
    }
)


@dataclass(frozen=True)
class Call:
    """One API request as IAM sees it: the permissions it needs and its condition context."""

    service: str  # botocore service name, e.g. "dynamodb"
    operation: str  # botocore operation name, e.g. "PutItem"
    region: str
    checks: tuple[tuple[str, str], ...]  # (IAM action, resource ARN) pairs; all must be allowed
    context: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def event_source(self) -> str:
        """The service's endpoint name as CloudTrail writes it, e.g. 's3.amazonaws.com'."""
        return f"{_PREFIX.get(self.service, self.service)}.amazonaws.com"

    @property
    def data_event(self) -> bool:
        """True for data events (object, item, message, invoke calls)."""
        if self.service == "s3":
            return "Key" in self.params or self.operation == "DeleteObjects"
        return f"{self.service}:{self.operation}" in DATA_EVENTS

    @property
    def read_only(self) -> bool:
        return self.operation.startswith(("Get", "List", "Describe", "Head", "Lookup", "Query"))


class Lookup:
    """Resolves names to ARNs that only the backend knows (overridden by the lab's enforcer)."""

    def secret_arn(self, region: str, account: str, secret_id: str) -> str:
        if secret_id.startswith("arn:"):
            return secret_id
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}"

    def kms_key_arn(self, region: str, account: str, key_id: str) -> str:
        if key_id.startswith("arn:"):
            return key_id
        kind = "" if key_id.startswith("alias/") else "key/"
        return f"arn:aws:kms:{region}:{account}:{kind}{key_id}"

    def kms_key_of_ciphertext(self, blob: bytes) -> str | None:
        return None

    def iam_arn(self, account: str, kind: str, name: str) -> str:
        return f"arn:aws:iam::{account}:{kind}/{name}"


def describe(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    region: str,
    account: str,
    lookup: Lookup | None = None,
) -> Call:
    """The permissions `operation` of `service` needs, given its parameters."""
    lookup = lookup or Lookup()
    describer = _DESCRIBERS.get(service)
    prefix = _PREFIX.get(service, service)
    if describer is None:
        checks = [(f"{prefix}:{operation}", "*")]
        context: dict[str, Any] = {}
    else:
        checks, context = describer(operation, params, region, account, lookup)
    return Call(service, operation, region, tuple(checks), context, params)


# -- from HTTP to (service, operation, params) ----------------------------------------------
def parse_http(
    signing_name: str,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
) -> tuple[str, str, dict[str, Any]] | None:
    """Find the botocore service, operation and parameters of a raw request, or None."""
    headers = {k.lower(): v for k, v in headers.items()}
    target = headers.get("x-amz-target")
    query = {k: v[0] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
    if target:
        prefix, _, operation = target.rpartition(".")
        service = _service_for_target(signing_name, prefix)
        if service is None:
            return None
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return service, operation, params if isinstance(params, dict) else {}
    model = _model(signing_name)
    if model is None:
        return None
    protocol = model.metadata["protocol"]
    if protocol in ("query", "ec2"):
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        params = {**query, **form}
        operation = params.get("Action")
        return (signing_name, operation, _unflatten(params)) if operation else None
    route = _match_route(signing_name, method, unquote(path), query, headers)
    if route is None:
        return None
    operation, path_params = route
    params: dict[str, Any] = {**query, **path_params}
    if protocol == "rest-json" and body and headers.get("content-type", "").endswith("json"):
        try:
            loaded = json.loads(body)
            if isinstance(loaded, dict):
                params = {**loaded, **params}
        except ValueError:
            pass
    if signing_name == "s3":
        if "x-amz-copy-source" in headers:
            params["CopySource"] = unquote(headers["x-amz-copy-source"])
        if operation == "DeleteObjects":
            params["Keys"] = _xml_keys(body)
    return signing_name, operation, params


def _unflatten(params: Mapping[str, str]) -> dict[str, Any]:
    """Query-protocol lists (Names.member.1=...) as Python lists; other keys unchanged."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if ".member." in key:
            out.setdefault(key.split(".member.")[0], []).append(value)
        else:
            out[key] = value
    return out


def _xml_keys(body: bytes) -> list[str]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    return [el.text or "" for el in root.iter() if el.tag.rpartition("}")[2] == "Key"]


@cache
def _model(service: str) -> Any:
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        return botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return None


def _service_for_target(signing_name: str, prefix: str) -> str | None:
    for service in (signing_name, f"{signing_name}streams"):
        model = _model(service)
        if model is not None and model.metadata.get("targetPrefix") == prefix:
            return service
    return signing_name if _model(signing_name) is not None else None


@cache
def _routes(service: str) -> list[tuple[str, list[str], dict[str, str], set[str], str]]:
    """(method, path parts, literal query, required query/headers, operation), specific first.

    Operations sharing one URI (PutObject, CopyObject, UploadPart) differ by the query
    parameters and headers they require (x-amz-copy-source, partNumber...); deprecated
    operations (PutBucketNotification) come after their replacements.
    """
    model = _model(service)
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        path, _, query = http["requestUri"].partition("?")
        literal = {k: v[0] if v else "" for k, v in parse_qs(query, keep_blank_values=True).items()}
        required: set[str] = set()
        shape = operation.input_shape
        for member in shape.required_members if shape is not None else []:
            where = shape.members[member].serialization
            if where.get("location") in ("querystring", "header"):
                required.add(where.get("name", member).lower())
        parts = [p for p in path.split("/") if p]
        routes.append((http["method"], parts, literal, required, name, operation.deprecated))
    routes.sort(
        key=lambda r: (
            r[5],
            -len(r[2]) - len(r[3]),
            -sum(not p.startswith("{") for p in r[1]),
        )
    )
    return [r[:5] for r in routes]


def _match_route(
    service: str, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> tuple[str, dict[str, str]] | None:
    segments = [s for s in path.split("/") if s != ""]
    present = {k.lower() for k in query} | set(headers)
    for route_method, parts, literal, required, operation in _routes(service):
        if route_method != method or not required <= present:
            continue
        if any(k not in query or (v and query[k] != v) for k, v in literal.items()):
            continue
        params = _match_parts(parts, segments)
        if params is not None:
            return operation, params
    return None


def _match_parts(parts: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, part in enumerate(parts):
        if part.endswith("+}"):
            rest = segments[index:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        if part.startswith("{"):
            params[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return params if len(segments) == len(parts) else None


# -- per service ------------------------------------------------------------------------------
Describer = Callable[
    [str, Mapping[str, Any], str, str, Lookup], tuple[list[tuple[str, str]], dict[str, Any]]
]


def _s3(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"s3:{_S3_ACTIONS.get(op, op)}"
    bucket, key = p.get("Bucket"), p.get("Key")
    context: dict[str, Any] = {}
    if bucket is None:
        return [(action, "*")], context
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if op in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        context["s3:prefix"] = p.get("prefix", "")
        if "delimiter" in p:
            context["s3:delimiter"] = p["delimiter"]
    if op == "DeleteObjects":
        return [(action, f"{bucket_arn}/{k}") for k in p.get("Keys", [])] or [
            (action, f"{bucket_arn}/*")
        ], context
    checks = [(action, f"{bucket_arn}/{key}" if key is not None else bucket_arn)]
    if op in ("CopyObject", "UploadPartCopy") and p.get("CopySource"):
        source = p["CopySource"].lstrip("/").split("?versionId=")[0]
        checks.insert(0, ("s3:GetObject", f"arn:aws:s3:::{source}"))
        checks[1] = ("s3:PutObject", checks[1][1])
    return checks, context


def _lambda(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"lambda:{_LAMBDA_ACTIONS.get(op, op)}"
    checks = [(action, _function_arn(p, region, account))]
    if op == "GetLayerVersion" or op.endswith("LayerVersion") or op.endswith("LayerVersions"):
        layer = p.get("LayerName", "")
        arn = (
            layer
            if layer.startswith("arn:")
            else f"arn:aws:lambda:{region}:{account}:layer:{layer}"
        )
        checks = [(action, f"{arn}:{p['VersionNumber']}" if "VersionNumber" in p else arn)]
    elif "UUID" in p:
        checks = [(action, f"arn:aws:lambda:{region}:{account}:event-source-mapping:{p['UUID']}")]
    if op in ("CreateFunction", "UpdateFunctionConfiguration") and p.get("Role"):
        checks.append(("iam:PassRole", p["Role"]))
    return checks, {}


def _function_arn(p: Mapping[str, Any], region: str, account: str) -> str:
    name = p.get("FunctionName")
    if not name:
        return "*"
    name = unquote(str(name))
    qualifier = p.get("Qualifier")
    if name.startswith("arn:"):
        parts = name.split(":")
        region, account, name = parts[3], parts[4], ":".join(parts[6:])
    elif ":function:" in name:
        account, _, name = name.partition(":function:")
    base, _, inline = name.partition(":")
    qualifier = qualifier or inline or None
    arn = f"arn:aws:lambda:{region}:{account}:function:{base}"
    return f"{arn}:{qualifier}" if qualifier else arn


_DYNAMODB_TRANSACT = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "Update": "UpdateItem",
    "Get": "GetItem",
}


def _dynamodb(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    base = f"arn:aws:dynamodb:{region}:{account}:table/"
    action = f"dynamodb:{op}"
    if "StreamArn" in p:
        return [(action, p["StreamArn"])], {}
    if "ShardIterator" in p:  # the lab's iterators start with their stream's ARN
        return [(action, str(p["ShardIterator"]).split("|")[0])], {}
    if "RequestItems" in p:
        return [(action, _table_arn(base, t)) for t in sorted(p["RequestItems"])], {}
    if "TransactItems" in p:
        checks = []
        for item in p["TransactItems"]:
            for kind, body in item.items():
                name = f"dynamodb:{_DYNAMODB_TRANSACT.get(kind, kind)}"
                checks.append((name, _table_arn(base, body.get("TableName", ""))))
        return checks, {}
    table = p.get("TableName") or p.get("ResourceArn") or p.get("TableArn")
    if not table:
        return [(action, "*")], {}
    arn = _table_arn(base, table)
    if p.get("IndexName"):
        arn = f"{arn}/index/{p['IndexName']}"
    return [(action, arn)], {}


def _table_arn(base: str, table: str) -> str:
    return table if table.startswith("arn:") else f"{base}{table}"


def _sqs(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"sqs:{_SQS_ACTIONS.get(op, op)}"
    url = p.get("QueueUrl")
    if url:
        parts = [s for s in str(url).split("/") if s]
        return [(action, f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}")], {}
    if p.get("QueueName"):
        owner = p.get("QueueOwnerAWSAccountId") or account
        return [(action, f"arn:aws:sqs:{region}:{owner}:{p['QueueName']}")], {}
    return [(action, "*")], {}


def _sns(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"sns:{op}"
    arn = p.get("TopicArn") or p.get("TargetArn") or p.get("ResourceArn")
    if not arn and p.get("SubscriptionArn"):
        arn = str(p["SubscriptionArn"]).rpartition(":")[0]
    if not arn and op == "CreateTopic" and p.get("Name"):
        arn = f"arn:aws:sns:{region}:{account}:{p['Name']}"
    return [(action, arn or "*")], {}


def _logs(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"logs:{op}"
    group = p.get("logGroupName") or p.get("logGroupIdentifier")
    base = f"arn:aws:logs:{region}:{account}:log-group:"
    if not group:
        return [(action, f"{base}*" if op == "DescribeLogGroups" else "*")], {}
    arn = group.removesuffix(":*") if group.startswith("arn:") else f"{base}{group}"
    if p.get("logStreamName") and op in ("PutLogEvents", "GetLogEvents", "CreateLogStream"):
        return [(action, f"{arn}:log-stream:{p['logStreamName']}")], {}
    return [(action, arn)], {}


def _secretsmanager(
    op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup
) -> Any:
    action = f"secretsmanager:{op}"
    secret = p.get("SecretId") or (p.get("Name") if op == "CreateSecret" else None)
    if not secret:
        return [(action, "*")], {}
    return [(action, lookup.secret_arn(region, account, secret))], {}


def _ssm(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"ssm:{op}"
    names = p.get("Names") or ([p["Name"]] if p.get("Name") else [])
    if p.get("Path"):
        names = [p["Path"]]
    if not names:
        return [(action, "*")], {}
    return [(action, _parameter_arn(n, region, account)) for n in names], {}


def _parameter_arn(name: str, region: str, account: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _kms(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"kms:{op}"
    key = p.get("KeyId") or p.get("TargetKeyId") or p.get("DestinationKeyId")
    if not key and p.get("CiphertextBlob"):
        try:
            key = lookup.kms_key_of_ciphertext(base64.b64decode(p["CiphertextBlob"]))
        except ValueError:
            key = None
    if not key:
        return [(action, "*")], {}
    return [(action, lookup.kms_key_arn(region, account, key))], {}


def _events(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"events:{op}"
    base = f"arn:aws:events:{region}:{account}:"
    if op == "PutEvents":
        buses = sorted({e.get("EventBusName") or "default" for e in p.get("Entries", [])})
        return [(action, _bus_arn(base, b)) for b in buses or ["default"]], {}
    rule = p.get("Rule") or (p.get("Name") if "Rule" in op else None)
    if rule:
        if rule.startswith("arn:"):
            return [(action, rule)], {}
        bus = p.get("EventBusName") or "default"
        bus = bus.rsplit("/", 1)[-1]
        path = rule if bus == "default" else f"{bus}/{rule}"
        return [(action, f"{base}rule/{path}")], {}
    bus = p.get("EventBusName") or p.get("Name")
    if bus and ("EventBus" in op or p.get("EventBusName")):
        return [(action, _bus_arn(base, bus))], {}
    return [(action, "*")], {}


def _bus_arn(base: str, bus: str) -> str:
    return bus if bus.startswith("arn:") else f"{base}event-bus/{bus}"


def _kinesis(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"kinesis:{op}"
    if p.get("StreamARN"):
        return [(action, p["StreamARN"])], {}
    name = p.get("StreamName")
    if not name and p.get("ShardIterator"):  # the lab's iterators encode stream:shard:sequence
        try:
            name = base64.b64decode(p["ShardIterator"]).decode().split(":")[0]
        except ValueError:
            name = None
    if not name:
        return [(action, "*")], {}
    return [(action, f"arn:aws:kinesis:{region}:{account}:stream/{name}")], {}


def _sts(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    return [(f"sts:{op}", p.get("RoleArn") or "*")], {}


_IAM_NAMES = (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group"))


def _iam(op: str, p: Mapping[str, Any], region: str, account: str, lookup: Lookup) -> Any:
    action = f"iam:{op}"
    for param, kind in _IAM_NAMES:
        if p.get(param):
            return [(action, lookup.iam_arn(account, kind, p[param]))], {}
    if p.get("PolicyArn"):
        return [(action, p["PolicyArn"])], {}
    if op == "CreatePolicy" and p.get("PolicyName"):
        path = p.get("Path") or "/"
        return [(action, f"arn:aws:iam::{account}:policy{path}{p['PolicyName']}")], {}
    return [(action, "*")], {}


_DESCRIBERS: dict[str, Describer] = {
    "s3": _s3,
    "lambda": _lambda,
    "dynamodb": _dynamodb,
    "dynamodbstreams": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "logs": _logs,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "kms": _kms,
    "events": _events,
    "kinesis": _kinesis,
    "sts": _sts,
    "iam": _iam,
}

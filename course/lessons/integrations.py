"""Wiring event sources to Lambda functions with plain boto3, one call per source.

Lesson 04 and its checks use these helpers so that notebook cells stay short. Each helper does
what you would do with boto3 on AWS (create the queue, add the permission, put the
notification configuration, create the REST API and its proxy integration...), against the
lab. `Recorder` is a function that stores every event it gets in an S3 bucket, so a lesson can
read back exactly what each trigger sent (`recorder`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import urllib.error
import urllib.request
from typing import Any

import boto3

from course.facts import fact
from course.lab import ACCOUNT_ID, REGION

# MODE=ok: succeed. MODE=fail: raise when any record mentions "boom".
# MODE=partial: report the records that mention "bad" as batchItemFailures.
RECORDER = """
import base64, json, os, time
import boto3

s3 = boto3.client("s3")


def _text(record):
    # Only what the sender wrote: ids and receipt handles are random and may spell "bad".
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    if "body" in record:
        return record["body"]
    if "Sns" in record:
        return record["Sns"]["Message"]
    if "dynamodb" in record:
        return json.dumps(record["dynamodb"].get("NewImage") or record["dynamodb"].get("Keys"))
    return json.dumps(record)


def _item_id(record):
    if "messageId" in record:
        return record["messageId"]
    return (record.get("dynamodb") or record.get("kinesis") or {}).get(
        "SequenceNumber", record.get("kinesis", {}).get("sequenceNumber"))


def handler(event, context):
    key = f"{os.environ['PREFIX']}/{time.time_ns():020d}-{context.aws_request_id}"
    s3.put_object(Bucket=os.environ["SEEN"], Key=key, Body=json.dumps(event))
    records = event.get("Records", [])
    mode = os.environ.get("MODE", "ok")
    said = [_text(r) for r in records] if records else [json.dumps(event)]
    if mode == "fail" and any("boom" in text for text in said):
        raise RuntimeError("boom: this function refuses the event")
    if mode == "partial":
        bad = [r for r, text in zip(records, said) if "bad" in text]
        return {"batchItemFailures": [{"itemIdentifier": _item_id(r)} for r in bad]}
    return {"records": len(records)}
"""


SEEN_BUCKET = "l04-seen"  # where the lesson's recorders store the events they get


class Recorder:
    """A function that stores each event it gets in an S3 bucket, to be read back.

    Events go under the key prefix `<function name>/`, so recorders can share one bucket.
    """

    def __init__(self, name: str, bucket: str = SEEN_BUCKET, arn: str = ""):
        self.name, self.bucket, self.arn = name, bucket, arn

    def take(self) -> list[dict]:
        """The events recorded since the last take, oldest first (they are then forgotten)."""
        s3 = boto3.client("s3")
        listing = s3.list_objects_v2(Bucket=self.bucket, Prefix=f"{self.name}/")
        keys = sorted(item["Key"] for item in listing.get("Contents", []))
        events = [json.loads(s3.get_object(Bucket=self.bucket, Key=k)["Body"].read()) for k in keys]
        for key in keys:
            s3.delete_object(Bucket=self.bucket, Key=key)
        return events


def recorder(
    lab: Any, name: str, mode: str = "ok", bucket: str = SEEN_BUCKET, **settings: Any
) -> Recorder:
    """Deploy the recorder as function `name` (mode ok, fail or partial); return it."""
    s3 = boto3.client("s3")
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    env = {"SEEN": bucket, "PREFIX": name, "MODE": mode}
    settings.setdefault("role", recorder_role(lab, name, bucket, name))
    arn = lab.deploy(name, RECORDER, env=env, **settings)["FunctionArn"]
    return Recorder(name, bucket, arn)


def recorder_role(lab: Any, name: str, bucket: str, prefix: str) -> str:
    """The recorder's least-privilege execution role: it may only write under `prefix/`."""
    statement = {
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}/*",
    }
    return lab.execution_role(f"{name}-role", {"Version": "2012-10-17", "Statement": [statement]})


# -- S3 -----------------------------------------------------------------------------------
def allow_s3(function: str, bucket: str) -> None:
    """Add the resource-based permission S3 needs to invoke `function` for `bucket` (once)."""
    client = boto3.client("lambda")
    with contextlib.suppress(client.exceptions.ResourceConflictException):  # already allowed
        client.add_permission(
            FunctionName=function,
            StatementId=f"s3-{bucket}",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=f"arn:aws:s3:::{bucket}",
            SourceAccount=ACCOUNT_ID,
        )


def allow(function: str, service: str, source_arn: str) -> dict:
    """Let `service` (e.g. 'sns.amazonaws.com') invoke `function` for `source_arn` only (once).

    This is the function's resource-based policy, as `lambda add_permission` writes it; AWS
    services invoke nothing without it. Returns the statement added (or already there).
    """
    client = boto3.client("lambda")
    resource = re.sub(r"[^A-Za-z0-9_.]+", "-", source_arn.split(":", 5)[-1]).strip("-")
    sid = f"{service.split('.')[0]}-{resource}"[:100]
    with contextlib.suppress(client.exceptions.ResourceConflictException):  # already allowed
        client.add_permission(
            FunctionName=function,
            StatementId=sid,
            Action="lambda:InvokeFunction",
            Principal=service,
            SourceArn=source_arn,
            SourceAccount=ACCOUNT_ID,
        )
    policy = json.loads(client.get_policy(FunctionName=function)["Policy"])
    return next(s for s in policy["Statement"] if s["Sid"] == sid)


def log_group_arn(group: str) -> str:
    """The ARN CloudWatch Logs presents as SourceArn for a log group: ...:log-group:NAME:*."""
    return f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:*"


def key_filter(prefix: str | None = None, suffix: str | None = None) -> dict:
    """An S3 notification `Filter` for object keys (empty when neither is given)."""
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}


def s3_config(function_arn: str, events: list[str], **filters: str | None) -> dict:
    """One entry of LambdaFunctionConfigurations: which events, which keys, which function."""
    return {"LambdaFunctionArn": function_arn, "Events": events, **key_filter(**filters)}


def notify(bucket: str, *configs: dict) -> None:
    """Put the bucket's notification configuration (it replaces any earlier one)."""
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": list(configs)}
    )


# -- SQS ----------------------------------------------------------------------------------
def queue(name: str, **attributes: str) -> tuple[str, str]:
    """Create an SQS queue; return its URL and ARN."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, found["Attributes"]["QueueArn"]


def queue_with_dlq(name: str, max_receive_count: int, **attributes: str) -> dict[str, str]:
    """A queue whose messages move to `<name>-dlq` after `max_receive_count` receives."""
    dlq_url, dlq_arn = queue(f"{name}-dlq")
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
    url, arn = queue(name, RedrivePolicy=json.dumps(policy), **attributes)
    return {"url": url, "arn": arn, "dlq_url": dlq_url, "dlq_arn": dlq_arn}


def send(url: str, *bodies: str) -> None:
    """Send messages to a queue, in batches of ten."""
    sqs = boto3.client("sqs")
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(chunk)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def in_queue(url: str) -> int:
    """Messages in the queue, visible or in flight."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)
    return sum(int(found["Attributes"][name]) for name in names)


def drain(url: str) -> list[str]:
    """Receive and delete every visible message of a queue; return their bodies, sorted."""
    sqs, bodies = boto3.client("sqs"), []
    most = int(fact("sqs.receive_max_messages").value)
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=most).get("Messages"):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(bodies)


def sqs_bodies(event: dict) -> list[str]:
    """The message bodies of an SQS event."""
    return [record["body"] for record in event["Records"]]


# -- streams ------------------------------------------------------------------------------
def stream_table(name: str, view: str = "NEW_AND_OLD_IMAGES") -> str:
    """Create a DynamoDB table (key `id`, a number) with a stream; return the stream ARN."""
    table = boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return table["TableDescription"]["LatestStreamArn"]


def kinesis_stream(name: str) -> str:
    """Create a one-shard Kinesis data stream; return its ARN."""
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def put_records(stream: str, *texts: str) -> None:
    """Write text records to a Kinesis stream (one partition key, so they stay in order)."""
    records = [{"Data": text.encode(), "PartitionKey": "lesson"} for text in texts]
    boto3.client("kinesis").put_records(StreamName=stream, Records=records)


def kinesis_data(event: dict) -> list[str]:
    """The decoded data of a Kinesis event's records (it arrives base64-encoded)."""
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]


# -- API Gateway --------------------------------------------------------------------------
def proxy_api(lab: Any, name: str, function_arn: str, path: str, method: str = "ANY") -> str:
    """A REST API with one Lambda proxy route (e.g. path 'items/{id}'), deployed to stage 'prod'.

    The function gets the permission API Gateway needs to invoke it for this API's prod stage.
    Returns the stage's base URL on 127.0.0.1.
    """
    apigw = boto3.client("apigateway")
    api_id = apigw.create_rest_api(name=name)["id"]
    parent = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    for part in path.strip("/").split("/"):
        parent = apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
    apigw.put_method(
        restApiId=api_id, resourceId=parent, httpMethod=method, authorizationType="NONE"
    )
    region = function_arn.split(":")[3]
    apigw.put_integration(
        restApiId=api_id,
        resourceId=parent,
        httpMethod=method,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}"
        "/invocations",
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    allow(function_arn, "apigateway.amazonaws.com", f"{execute_api_arn(api_id)}/prod/*")
    return lab.api_url(api_id, "prod")


def execute_api_arn(api_id: str) -> str:
    """The ARN of a REST API as API Gateway presents it when it invokes a function."""
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}"


def http(
    url: str, method: str = "GET", body: str | None = None, headers: dict | None = None
) -> tuple[int, dict[str, str], str]:
    """One real HTTP request: (status, response headers, body text), errors included."""
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


# -- Cognito ------------------------------------------------------------------------------
def user_pool(name: str, **triggers: str) -> tuple[str, str]:
    """A user pool with Lambda triggers (e.g. PreSignUp=arn) and an app client; (pool, client).

    Each trigger function gets the permission Cognito needs to invoke it for this pool.
    """
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=name, LambdaConfig=triggers)["UserPool"]
    pool_id = pool["Id"]
    for function_arn in sorted(set(triggers.values())):
        allow(function_arn, "cognito-idp.amazonaws.com", pool["Arn"])
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName=f"{name}-web")
    return pool_id, client["UserPoolClient"]["ClientId"]


def sign_up(client_id: str, username: str, email: str, password: str = "Correct-Horse-9") -> dict:
    """Sign a user up through the app client (this runs the PreSignUp trigger)."""
    return boto3.client("cognito-idp").sign_up(
        ClientId=client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": email}],
    )


# -- idempotency under SQS redelivery -----------------------------------------------------
def charges_table(name: str) -> str:
    """A DynamoDB table of charges, one item per order (key `order_id`, a string); its ARN."""
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return table["TableDescription"]["TableArn"]


def charges(name: str) -> dict[str, int]:
    """How many times each order was charged, by order id (sorted)."""
    items = boto3.resource("dynamodb").Table(name).scan()["Items"]
    return {item["order_id"]: int(item["charged"]) for item in sorted(items, key=str)}


def table_role(lab: Any, name: str, table_arn: str, *actions: str) -> str:
    """An execution role that allows only `actions` (e.g. dynamodb:PutItem) on one table."""
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": table_arn}
    return lab.execution_role(name, {"Version": "2012-10-17", "Statement": [statement]})


# -- SNS fan-out to SQS -------------------------------------------------------------------
def allow_sns(queue_url: str, queue_arn: str, topic_arn: str) -> None:
    """The queue policy that lets one topic (and only it) send messages to the queue."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    boto3.client("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})


def fan_out(topic_arn: str, queue_name: str, filter_policy: dict | None = None) -> str:
    """Subscribe a new queue to the topic (raw delivery, optional filter policy); its URL."""
    url, arn = queue(queue_name)
    allow_sns(url, arn, topic_arn)
    attributes = {"RawMessageDelivery": "true"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
    boto3.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes
    )
    return url


def publish(topic_arn: str, message: str, **attributes: str | int | float) -> None:
    """Publish a message with message attributes (numbers get DataType Number)."""
    typed = {
        name: {
            "DataType": "String" if isinstance(value, str) else "Number",
            "StringValue": str(value),
        }
        for name, value in attributes.items()
    }
    boto3.client("sns").publish(TopicArn=topic_arn, Message=message, MessageAttributes=typed)

"""CloudWatch Logs subscription filters invoke a function with the gzipped, matching events."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from course.lab import ACCOUNT_ID
from course.lab.events import assert_shaped_like, sample_event, shape
from course.lab.triggers.logs_subscriptions import decode_payload

from .recording import allow, writer_role

RECORDER = """
import json, boto3

def handler(event, context):
    boto3.client("s3").put_object(
        Bucket="logs-seen", Key=context.aws_request_id, Body=json.dumps(event)
    )
"""


def now_ms() -> int:
    return int(time.time() * 1000)


def seen() -> list[dict]:
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="logs-seen").get("Contents", [])]
    return [json.loads(s3.get_object(Bucket="logs-seen", Key=k)["Body"].read()) for k in keys]


@pytest.fixture
def app_logs(lab):
    """Log group /example/app with stream s1, and a recorder function 'alerts'."""
    boto3.client("s3").create_bucket(Bucket="logs-seen")
    arn = lab.deploy("alerts", RECORDER, role=writer_role(lab, "alerts", "logs-seen"))[
        "FunctionArn"
    ]
    source = f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/example/app:*"
    allow(arn, "logs.amazonaws.com", source)
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/example/app")
    logs.create_log_stream(logGroupName="/example/app", logStreamName="s1")
    return logs, arn


def test_matching_log_events_reach_the_function_gzipped(lab, app_logs):
    logs, arn = app_logs
    logs.put_subscription_filter(
        logGroupName="/example/app",
        filterName="errors",
        filterPattern="ERROR",
        destinationArn=arn,
    )
    logs.put_log_events(
        logGroupName="/example/app",
        logStreamName="s1",
        logEvents=[
            {"timestamp": now_ms(), "message": "ERROR disk full"},
            {"timestamp": now_ms() + 1000, "message": "INFO all good"},
        ],
    )
    logs.put_log_events(
        logGroupName="/example/app",
        logStreamName="s1",
        logEvents=[{"timestamp": now_ms() + 2000, "message": "INFO nothing to see"}],
    )
    lab.wait()
    (event,) = seen()
    assert_shaped_like(event, "cloudwatch-logs-subscription")
    data = decode_payload(event)
    assert shape(data) == shape(decode_payload(sample_event("cloudwatch-logs-subscription")))
    assert [e["message"] for e in data["logEvents"]] == ["ERROR disk full"]
    assert (data["logGroup"], data["logStream"], data["subscriptionFilters"]) == (
        "/example/app",
        "s1",
        ["errors"],
    )
    assert [(i.function, i.invocation_type) for i in lab.invocations] == [("alerts", "Event")]


def test_a_function_cannot_subscribe_to_its_own_log_group(lab, app_logs):
    logs, arn = app_logs
    logs.create_log_group(logGroupName="/aws/lambda/alerts")
    with pytest.raises(ClientError) as caught:
        logs.put_subscription_filter(
            logGroupName="/aws/lambda/alerts",
            filterName="loop",
            filterPattern="",
            destinationArn=arn,
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert "its own log group /aws/lambda/alerts" in error["Message"]


def test_a_loop_between_two_functions_is_stopped(lab, app_logs):
    logs, arn = app_logs
    other = lab.deploy("echoer", "def handler(event, context):\n    print('got it')\n")
    boto3.client("lambda").invoke(FunctionName="alerts")
    boto3.client("lambda").invoke(FunctionName="echoer")
    for group, target in (
        ("/aws/lambda/alerts", other["FunctionArn"]),
        ("/aws/lambda/echoer", arn),
    ):
        source = f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:{group}:*"
        allow(target, "logs.amazonaws.com", source, sid=f"logs-{group.rsplit('/', 1)[1]}")
        logs.put_subscription_filter(
            logGroupName=group, filterName="f", filterPattern="", destinationArn=target
        )
    logs.put_log_events(
        logGroupName="/aws/lambda/alerts",
        logStreamName=logs.describe_log_streams(logGroupName="/aws/lambda/alerts")["logStreams"][0][
            "logStreamName"
        ],
        logEvents=[{"timestamp": now_ms(), "message": "kick off"}],
    )
    lab.wait()
    assert any("Recursive loop stopped" in d["reason"] for d in lab.dropped_events)
    assert len(lab.invocations) < 40

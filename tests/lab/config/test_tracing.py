"""Active tracing: the trace header in the handler, Lambda's segments and the SDK calls in X-Ray."""

import json
import time
from datetime import UTC, datetime, timedelta

import boto3

from course.lab import tracing

TRACED = """
import os
import boto3

def handler(event, context):
    boto3.client("s3").list_buckets()
    try:
        boto3.client("dynamodb").get_item(TableName="missing", Key={"k": {"S": "1"}})
    except Exception:
        pass
    return os.environ["_X_AMZN_TRACE_ID"]
"""


ALLOWED = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "dynamodb:GetItem"], "Resource": "*"}
    ],
}


def _deploy(lab, name):
    role = lab.execution_role(f"{name}-role", ALLOWED)
    lab.deploy(name, TRACED, timeout_s=30, role=role, TracingConfig={"Mode": "Active"})


def _documents(trace_id):
    xray = boto3.client("xray")
    (trace,) = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
    return {d["origin"]: d for d in (json.loads(s["Document"]) for s in trace["Segments"])}


def test_an_active_function_is_traced_with_lambdas_segments_and_its_sdk_calls(lab, lam):
    _deploy(lab, "traced")
    header = json.loads(lam.invoke(FunctionName="traced")["Payload"].read())
    fields = dict(part.split("=", 1) for part in header.split(";"))
    assert fields["Sampled"] == "1" and fields["Root"].startswith("1-")
    documents = _documents(fields["Root"])
    service, function = documents["AWS::Lambda"], documents["AWS::Lambda::Function"]
    assert function["id"] == fields["Parent"] and function["parent_id"] == service["id"]
    assert service["aws"]["request_id"] == lab.invocations[-1].request_id
    names = [s["name"] for s in function["subsegments"]]
    assert names == ["Initialization", "Invocation", "Overhead"]
    calls = function["subsegments"][1]["subsegments"]
    assert [(c["name"], c["aws"]["operation"]) for c in calls] == [
        ("S3", "ListBuckets"),
        ("DynamoDB", "GetItem"),
    ]
    assert calls[0]["http"]["response"]["status"] == 200 and "error" not in calls[0]
    assert calls[1]["error"] is True
    assert all(c["namespace"] == "aws" and c["end_time"] >= c["start_time"] for c in calls)
    now = datetime.now(UTC)
    summaries = boto3.client("xray").get_trace_summaries(
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5)
    )["TraceSummaries"]
    assert fields["Root"] in [s["Id"] for s in summaries]


def test_a_warm_call_has_no_initialization_and_passthrough_is_not_sampled(lab, lam):
    _deploy(lab, "warm-traced")
    lam.invoke(FunctionName="warm-traced")
    time.sleep(max(0.0, 1.05 - (time.time() % 1)))  # the next second's reservoir request
    header = json.loads(lam.invoke(FunctionName="warm-traced")["Payload"].read())
    root = dict(part.split("=", 1) for part in header.split(";"))["Root"]
    names = [s["name"] for s in _documents(root)["AWS::Lambda::Function"]["subsegments"]]
    assert names == ["Invocation", "Overhead"]
    lam.update_function_configuration(
        FunctionName="warm-traced", TracingConfig={"Mode": "PassThrough"}
    )
    assert lam.get_function_configuration(FunctionName="warm-traced")["TracingConfig"] == {
        "Mode": "PassThrough"
    }
    header = json.loads(lam.invoke(FunctionName="warm-traced")["Payload"].read())
    assert header.endswith("Sampled=0")


def test_sampling_takes_one_request_a_second_then_the_fixed_rate():
    class Fn:
        function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sampled"
        tracing_config = {"Mode": "Active"}

    start = float(int(time.time()) + 1000)
    decisions = [tracing.Trace.begin(Fn, start + i / 1000).sampled for i in range(400)]
    assert decisions[0] is True
    rate = sum(decisions[1:]) / 399
    assert 0 < rate < 0.15
    assert tracing.Trace.begin(Fn, start + 1).sampled is True

"""CloudWatch Logs: one stream per environment with START, output, END and REPORT lines."""

import base64
import re

import boto3

from course.facts import fact


def messages(group):
    logs = boto3.client("logs")
    return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]


def test_log_stream_per_environment_with_aws_lines(lab, lam, deploy):
    deploy("talker", "logging_demo.handler")
    lam.invoke(FunctionName="talker")
    lam.invoke(FunctionName="talker")
    logs = boto3.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/talker")["logStreams"]
    assert len(streams) == 1
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", streams[0]["logStreamName"])
    lines = messages("/aws/lambda/talker")
    first, second = (i.request_id for i in lab.invocations)
    assert lines[0] == f"START RequestId: {first} Version: $LATEST"
    assert "init says hello" in lines
    assert "print from the handler" in lines
    assert any(re.match(r"\[INFO\]\t\S+Z\t" + first + r"\tinfo from logging", m) for m in lines)
    assert f"END RequestId: {first}" in lines
    reports = [m for m in lines if m.startswith("REPORT")]
    assert len(reports) == 2
    pattern = (
        r"REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB"
    )
    assert re.fullmatch(pattern + r"\tInit Duration: [\d.]+ ms", reports[0])
    assert re.fullmatch(pattern, reports[1])
    assert second in reports[1]


def test_billed_duration_rounds_up_to_the_granularity(lab, lam, deploy):
    deploy("talker", "logging_demo.handler")
    lam.invoke(FunctionName="talker")
    invocation = lab.invocations[0]
    step = fact("pricing.billing_granularity_ms").value
    assert invocation.billed_duration_ms % step == 0
    billed = invocation.duration_ms + invocation.init_duration_ms  # INIT billed since 2025-08
    assert billed <= invocation.billed_duration_ms < billed + step


def test_log_tail_is_the_last_4_kb(lam, deploy):
    deploy("talker", "logging_demo.handler")
    response = lam.invoke(FunctionName="talker", LogType="Tail", Payload=b'{"lines": 200}')
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == fact("invoke.log_tail_kb").value * 1024
    assert tail.decode().rstrip().splitlines()[-1].startswith("REPORT RequestId:")
    assert "LogResult" not in lam.invoke(FunctionName="talker")

"""Max Memory Used on REPORT is the real peak, also when the worker gave no answer."""

import json
import re

import boto3
import pytest


def report_mb(lab) -> int:
    """Max Memory Used from the last REPORT line in CloudWatch Logs."""
    logs = boto3.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{lab.invocations[-1].function}")
    (line,) = [
        e["message"]
        for e in events["events"]
        if e["message"].startswith(f"REPORT RequestId: {lab.invocations[-1].request_id}")
    ]
    return int(re.search(r"Max Memory Used: (\d+) MB", line).group(1))


@pytest.mark.parametrize(
    ("then", "outcome"), [("sleep", "timeout"), ("exit", "exit")], ids=["timeout", "exit"]
)
def test_failure_without_an_answer_reports_the_peak_seen(lab, lam, deploy, then, outcome):
    deploy("holder", "errors.hog_then_stop", memory_mb=512, timeout_s=1)
    response = lam.invoke(FunctionName="holder", Payload=json.dumps({"mb": 80, "then": then}))
    assert response["FunctionError"] == "Unhandled"
    invocation = lab.invocations[-1]
    assert invocation.outcome == outcome
    assert 80 < invocation.max_memory_used_mb < 512
    assert report_mb(lab) == invocation.max_memory_used_mb


def test_out_of_memory_reports_the_memory_size(lab, lam, deploy):
    deploy("hog", "errors.hog_memory", memory_mb=128, timeout_s=10)
    lam.invoke(FunctionName="hog", Payload=json.dumps({"mb": 300}))
    invocation = lab.invocations[-1]
    assert invocation.outcome == "out_of_memory"
    assert invocation.max_memory_used_mb == 128
    assert report_mb(lab) == 128

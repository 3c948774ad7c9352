"""Versions freeze code and configuration; aliases route by weight; ExecutedVersion says which."""

from collections import Counter

import boto3
import pytest

ONE = "import os\n\ndef handler(event, context):\n    return ['one', os.environ['STAGE']]\n"
TWO = "import os\n\ndef handler(event, context):\n    return ['two', os.environ['STAGE']]\n"


def _run(lam, **kwargs):
    response = lam.invoke(**kwargs)
    return response["Payload"].read().decode(), response["ExecutedVersion"]


def test_a_version_keeps_its_code_and_configuration(lab, lam):
    lab.deploy("frozen", ONE, env={"STAGE": "blue"}, memory_mb=256)
    assert lam.publish_version(FunctionName="frozen")["Version"] == "1"
    lab.deploy("frozen", TWO, env={"STAGE": "green"}, memory_mb=512)
    assert _run(lam, FunctionName="frozen", Qualifier="1") == ('["one", "blue"]', "1")
    assert _run(lam, FunctionName="frozen") == ('["two", "green"]', "$LATEST")
    assert _run(lam, FunctionName="frozen:1") == ('["one", "blue"]', "1")
    memory = {i.version: i.memory_size_mb for i in lab.invocations}
    assert memory == {"1": 256, "$LATEST": 512}


def test_an_alias_routes_by_weight(lab, lam):
    lab.deploy("canary", ONE, env={"STAGE": "x"})
    lam.publish_version(FunctionName="canary")
    lab.update_code("canary", TWO)
    lam.publish_version(FunctionName="canary")
    lam.create_alias(
        FunctionName="canary",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
    )
    calls = 200
    seen = Counter()
    for _ in range(calls):
        payload, version = _run(lam, FunctionName="canary", Qualifier="live")
        assert payload == {"1": '["one", "x"]', "2": '["two", "x"]'}[version]
        seen[version] += 1
    assert set(seen) == {"1", "2"}
    assert seen["2"] / calls == pytest.approx(0.3, abs=0.12)
    assert Counter(i.version for i in lab.invocations) == seen


def test_an_alias_without_weights_runs_its_version_and_updates_move_it(lab, lam):
    lab.deploy("moving", ONE, env={"STAGE": "x"})
    lam.publish_version(FunctionName="moving")
    lab.update_code("moving", TWO)
    lam.publish_version(FunctionName="moving")
    lam.create_alias(FunctionName="moving", Name="prod", FunctionVersion="1")
    assert _run(lam, FunctionName="moving:prod")[1] == "1"
    lam.update_alias(FunctionName="moving", Name="prod", FunctionVersion="2")
    assert _run(lam, FunctionName="moving", Qualifier="prod") == ('["two", "x"]', "2")
    lam.update_alias(
        FunctionName="moving", Name="prod", RoutingConfig={"AdditionalVersionWeights": {"1": 1.0}}
    )
    assert _run(lam, FunctionName="moving", Qualifier="prod")[1] == "1"


ARN = """
def handler(event, context):
    print("ARN", context.invoked_function_arn)
    return context.invoked_function_arn
"""


def test_the_handler_sees_the_arn_it_was_invoked_by(lab, lam):
    arn = lab.deploy("named", ARN)["FunctionArn"]
    lam.publish_version(FunctionName="named")
    lam.create_alias(
        FunctionName="named",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.0}},
    )
    assert _run(lam, FunctionName="named") == (f'"{arn}"', "$LATEST")
    assert _run(lam, FunctionName="named", Qualifier="1") == (f'"{arn}:1"', "1")
    assert _run(lam, FunctionName="named", Qualifier="live") == (f'"{arn}:live"', "1")
    assert _run(lam, FunctionName=f"{arn}:live") == (f'"{arn}:live"', "1")
    lam.invoke(FunctionName="named:live", InvocationType="Event")
    lab.wait()
    logs = boto3.client("logs")
    events = logs.filter_log_events(logGroupName="/aws/lambda/named", filterPattern="ARN")
    assert events["events"][-1]["message"].strip() == f"ARN {arn}:live"

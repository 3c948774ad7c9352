"""The recursion guard stops a function that keeps invoking itself, as AWS does."""

import json

from course.facts import fact
from tests.lab.runtime.conftest import function_arn, role_allowing


def test_async_loop_is_stopped_after_the_maximum_hops(lab, lam, deploy):
    role = role_allowing(lab, "looper", "lambda:InvokeFunction", function_arn("looper"))
    deploy("looper", "self_invoke.loop", role=role)
    lam.invoke(FunctionName="looper", InvocationType="Event", Payload=b'{"n": 0}')
    lab.wait()
    hops = fact("invoke.recursion_max_hops").value
    assert len(lab.invocations) == hops
    (stopped,) = lab.dropped_events
    assert "Recursive loop stopped" in stopped["reason"]


def test_sync_chain_over_the_limit_is_refused(lab, lam):
    lab.deploy(
        "deep",
        "import boto3, json\nlam = boto3.client('lambda')\n"
        "def handler(event, context):\n"
        "    r = lam.invoke(FunctionName='deep', Payload=json.dumps(event))\n"
        "    return json.loads(r['Payload'].read())\n",
        timeout_s=60,
        role=role_allowing(lab, "deep", "lambda:InvokeFunction", function_arn("deep")),
    )
    body = json.loads(lam.invoke(FunctionName="deep", Payload=b"{}")["Payload"].read())
    hops = fact("invoke.recursion_max_hops").value
    assert len(lab.invocations) == hops
    assert "RecursiveInvocationException" in body["errorType"] + body["errorMessage"]

"""Checks for the Configuration and limits exercises: each judges the lab's real state.

A check reads what the learner configured with plain boto3 (aliases, provisioned concurrency,
layers), invokes the function for real in the course's local Lambda (`course.lab`), or
recomputes the answer from the learner's own measurements or from the facts file. Each check
prints one verdict line and never the answer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import textwrap
import time
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import course.lab
from course.facts import fact
from course.grading import hints
from course.grading.checks import answered, report

hint = hints.for_lesson("06")
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)

# The exercises' own scenario values (not AWS facts).
Q1_FUNCTION = "q1-report"
Q1_SIZES = (128, 640, 1769)
Q2_FUNCTION = "q2-checkout"
Q2_ALIAS = "live"
Q2_WEIGHT = 0.1
Q3_MODULE = "tax"
Q3_SOURCE = "def vat(amount):\n    return round(amount * 0.2, 2)\n"
Q4_FUNCTION = "q4-api"
Q4_ALIAS = "live"
Q5_FUNCTION = "q5-orders"
Q5_SLOW = ("SQS", "GetQueueUrl")  # the call the Q5 handler delays
Q6_FUNCTION = "q6-report"
Q6_WORK_S = 1.4
Q7_SETTINGS = ("MemorySize", "Timeout", "EphemeralStorage")
Q7_FACTS = {
    "MemorySize": "memory.max_mb",
    "Timeout": "timeout.max_s",
    "EphemeralStorage": "ephemeral_storage.max_mb",
}

Q1_SOURCE = """
import time

def handler(event, context):
    total = sum(i * i for i in range(50_000))  # some CPU work...
    time.sleep(0.03)  # ...then a wait for a downstream service
    return total
"""
Q2_SOURCES = tuple(f"def handler(event, context):\n    return '{v}'\n" for v in ("v1", "v2"))
Q4_SOURCE = """
import time
time.sleep(0.3)  # heavy imports at init

def handler(event, context):
    return "ready"
"""
Q5_SOURCE = """
import os
import time
import boto3

s3, sqs, ddb = boto3.client("s3"), boto3.client("sqs"), boto3.client("dynamodb")
s3.list_buckets(), ddb.list_tables()  # first calls (connections) at init, not in the trace
sqs.meta.events.register("before-send.sqs.GetQueueUrl", lambda **kwargs: time.sleep(0.4))

def handler(event, context):
    s3.list_buckets()
    ddb.list_tables()
    try:
        sqs.get_queue_url(QueueName="orders")
    except sqs.exceptions.QueueDoesNotExist:
        pass
    ddb.list_tables()
    return os.environ["_X_AMZN_TRACE_ID"]
"""
Q5_CALLS = ("s3:ListAllMyBuckets", "dynamodb:ListTables", "sqs:GetQueueUrl")
Q5_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": list(Q5_CALLS), "Resource": "*"}],
}
Q6_SOURCE = f"""
import time

def handler(event, context):
    time.sleep({Q6_WORK_S})  # the report takes this long
    return "report ready"
"""


def _lambda() -> Any:
    course.lab.start()
    return boto3.client("lambda", config=NO_RETRY)


def _fresh(name: str, source: str, **settings: Any) -> dict:
    """Deploy `source` as a brand-new function `name` (any older one is deleted first)."""
    lab = course.lab.start()
    client = _lambda()
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_function(FunctionName=name)
    return lab.deploy(name, textwrap.dedent(source).strip() + "\n", **settings)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- Q1 --------------------------------------------------------------------------------------
def deploy_q1_function() -> str:
    """Q1 set-up: deploy the function to tune; return its name."""
    _fresh(Q1_FUNCTION, Q1_SOURCE, timeout_s=30)
    return Q1_FUNCTION


def expected_q1(measurements: Sequence[Any]) -> int:
    """Q1: the memory size (MB) with the lowest cost per invocation in `measurements`."""
    return min(measurements, key=lambda m: m.cost_per_invocation()).memory_mb


def check_q1(cheapest_mb: object, measurements: object) -> None:
    """Check the Q1 pick against the learner's own measurements of the Q1 function."""
    checked = f"the cheapest of your measured sizes for {Q1_FUNCTION}"
    if not answered("Q1", cheapest_mb, "cheapest_mb") or not answered(
        "Q1", measurements, "results"
    ):
        return
    sizes = tuple(getattr(m, "memory_mb", None) for m in measurements or ())
    if sizes != Q1_SIZES or not all(hasattr(m, "cost_per_invocation") for m in measurements):
        hint = "`results` should be what measure() returned for the sizes in Q1_SIZES."
        return report("Q1", False, checked, hint)
    fastest = min(measurements, key=lambda m: m.warm_median_ms).memory_mb
    right = cheapest_mb == expected_q1(measurements)
    hint = (
        "that is the fastest size; compare cost_per_invocation() instead."
        if cheapest_mb == fastest
        else "compare each size's cost_per_invocation() and keep the lowest."
    )
    report("Q1", right, checked, hint)


# -- Q2 --------------------------------------------------------------------------------------
def deploy_q2_function() -> tuple[str, str]:
    """Q2 set-up: deploy the checkout function and publish two versions; return them."""
    _fresh(Q2_FUNCTION, Q2_SOURCES[0])
    client = _lambda()
    first = client.publish_version(FunctionName=Q2_FUNCTION)["Version"]
    course.lab.start().update_code(Q2_FUNCTION, Q2_SOURCES[1])
    second = client.publish_version(FunctionName=Q2_FUNCTION)["Version"]
    return first, second


def check_q2(alias: object) -> None:
    """Check that alias `live` runs version 1 and sends the Q2 weight to version 2."""
    checked = f"alias {Q2_ALIAS} of {Q2_FUNCTION} and where its calls go"
    if not answered("Q2", alias, "alias"):
        return
    client = _lambda()
    try:
        found = client.get_alias(FunctionName=Q2_FUNCTION, Name=Q2_ALIAS)
    except ClientError:
        hint = f"create the alias {Q2_ALIAS!r} on {Q2_FUNCTION} (run the set-up cell first)."
        return report("Q2", False, checked, hint)
    versions = client.list_versions_by_function(FunctionName=Q2_FUNCTION)["Versions"]
    numbered = sorted(int(v["Version"]) for v in versions if v["Version"] != "$LATEST")
    if len(numbered) < 2:
        return report("Q2", False, checked, "run the set-up cell that publishes two versions.")
    old, new = str(numbered[0]), str(numbered[1])
    weights = found.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
    if found["FunctionVersion"] != old:
        return report("Q2", False, checked, "the alias's main version is the one most calls run.")
    if weights != {new: Q2_WEIGHT}:
        hint = "RoutingConfig's AdditionalVersionWeights maps the new version to a fraction."
        return report("Q2", False, checked, hint)
    ran = {
        client.invoke(FunctionName=Q2_FUNCTION, Qualifier=Q2_ALIAS)["ExecutedVersion"]
        for _ in range(5)
    }
    report("Q2", ran <= {old, new}, checked)


# -- Q3 --------------------------------------------------------------------------------------
def check_q3(layer_arn: object) -> None:
    """Deploy a function that imports the Q3 module with the learner's layer; invoke it."""
    checked = f"a function with your layer imports {Q3_MODULE} and gets the right VAT"
    if not answered("Q3", layer_arn, "layer_arn"):
        return
    code = f"import {Q3_MODULE}\n\ndef handler(event, context):\n    return {Q3_MODULE}.vat(50)\n"
    try:
        _fresh("check-q3-layer", code, Layers=[str(layer_arn)])
    except ClientError as error:
        hint = f"`layer_arn` should be a LayerVersionArn ({error.response['Error']['Code']})."
        return report("Q3", False, checked, hint)
    response = _lambda().invoke(FunctionName="check-q3-layer")
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        hint = f"{payload.get('errorType')}: Python modules go under python/ in the layer's zip."
        return report("Q3", False, checked, hint)
    namespace: dict[str, Any] = {}
    exec(Q3_SOURCE, namespace)  # noqa: S102 - the exercise's own module text
    report("Q3", payload == namespace["vat"](50), checked, "use the module text in Q3_SOURCE.")


# -- Q4 --------------------------------------------------------------------------------------
def deploy_q4_function() -> str:
    """Q4 set-up: deploy the API function with a slow init, version 1 and alias `live`."""
    _fresh(Q4_FUNCTION, Q4_SOURCE)
    client = _lambda()
    version = client.publish_version(FunctionName=Q4_FUNCTION)["Version"]
    client.create_alias(FunctionName=Q4_FUNCTION, Name=Q4_ALIAS, FunctionVersion=version)
    return Q4_FUNCTION


def check_q4(config: object, wait_s: float = 30) -> None:
    """Invoke alias `live` of the Q4 function: the call must find a ready environment."""
    checked = f"a call to {Q4_FUNCTION}:{Q4_ALIAS} with no cold start"
    if not answered("Q4", config, "config"):
        return
    client = _lambda()
    deadline = time.monotonic() + wait_s
    while True:
        try:
            status = client.get_provisioned_concurrency_config(
                FunctionName=Q4_FUNCTION, Qualifier=Q4_ALIAS
            )["Status"]
        except ClientError:
            hint = f"put a provisioned concurrency config on the alias {Q4_ALIAS!r}."
            return report("Q4", False, checked, hint)
        if status != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if status != "READY":
        return report("Q4", False, checked, f"the config is {status}, not READY.")
    lab = course.lab.start()
    request_id = client.invoke(FunctionName=Q4_FUNCTION, Qualifier=Q4_ALIAS)["ResponseMetadata"][
        "RequestId"
    ]
    run = next(i for i in reversed(lab.invocations) if i.request_id == request_id)
    report("Q4", not run.cold, checked, "the call still started cold.")


# -- Q5 --------------------------------------------------------------------------------------
def deploy_q5_function() -> str:
    """Q5 set-up: deploy the traced orders function; return its name."""
    role = course.lab.start().execution_role(f"{Q5_FUNCTION}-role", Q5_POLICY)
    _fresh(Q5_FUNCTION, Q5_SOURCE, timeout_s=30, role=role, TracingConfig={"Mode": "Active"})
    return Q5_FUNCTION


def check_q5(slow_call: object) -> None:
    """Check the Q5 answer: the service and operation of the slowest SDK call."""
    checked = f"the slow downstream call in {Q5_FUNCTION}'s trace"
    if not answered("Q5", slow_call, "slow_call"):
        return
    if not (isinstance(slow_call, tuple) and len(slow_call) == 2):
        hint = 'answer a pair (service, operation), e.g. ("S3", "ListBuckets").'
        return report("Q5", False, checked, hint)
    service_ok = str(slow_call[0]).lower() == Q5_SLOW[0].lower()
    hint = (
        "right service; read the subsegment's aws.operation for the operation."
        if service_ok
        else "compare the durations (end_time - start_time) of the subsegments of Invocation."
    )
    report("Q5", service_ok and str(slow_call[1]) == Q5_SLOW[1], checked, hint)


# -- Q6 --------------------------------------------------------------------------------------
def expected_q6() -> int:
    """Q6: the smallest whole-second timeout that lets the Q6 handler finish."""
    return max(math.ceil(Q6_WORK_S), int(fact("timeout.min_s").value))


def check_q6(timeout_s: object) -> None:
    """Deploy the Q6 handler with the learner's timeout; it must finish, with the least timeout."""
    checked = "the Q6 report finishes within your timeout, the smallest that works"
    if not answered("Q6", timeout_s, "timeout_s"):
        return
    if not isinstance(timeout_s, int) or isinstance(timeout_s, bool):
        return report("Q6", False, checked, "the timeout is a whole number of seconds.")
    try:
        _fresh(Q6_FUNCTION, Q6_SOURCE, timeout_s=timeout_s)
    except ClientError as error:
        return report("Q6", False, checked, f"AWS refused it: {error.response['Error']['Code']}.")
    response = _lambda().invoke(FunctionName=Q6_FUNCTION)
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        return report("Q6", False, checked, f"it failed with {payload.get('errorType')}.")
    report("Q6", timeout_s == expected_q6(), checked, "it finished; try a smaller timeout.")


# -- Q7 --------------------------------------------------------------------------------------
def q7_errors() -> dict[str, str]:
    """Q7 set-up: set each of Q7_SETTINGS one past its limit; AWS's error message for each."""
    _fresh("q7-limits", "def handler(event, context):\n    return 'ok'\n")
    client, errors = _lambda(), {}
    for setting in Q7_SETTINGS:
        value = int(fact(Q7_FACTS[setting]).value) + 1
        body = {"Size": value} if setting == "EphemeralStorage" else value
        try:
            client.update_function_configuration(FunctionName="q7-limits", **{setting: body})
        except ClientError as error:
            errors[setting] = error.response["Error"]["Message"].split(" The limit is")[0]
    return errors


def expected_q7() -> dict[str, int]:
    """Q7: the largest value each setting accepts today, from the facts file."""
    return {setting: int(fact(fact_id).value) for setting, fact_id in Q7_FACTS.items()}


def check_q7(largest: object) -> None:
    """Check the Q7 dict: the largest value each setting accepts today."""
    checked = "the largest value each of " + ", ".join(Q7_SETTINGS) + " accepts today"
    if not answered("Q7", largest, "largest"):
        return
    if not isinstance(largest, dict) or set(largest) != set(Q7_SETTINGS):
        keys = ", ".join(Q7_SETTINGS)
        return report("Q7", False, checked, f"answer a dict with the keys {keys}.")
    expected = expected_q7()
    right = sum(largest[s] == expected[s] for s in Q7_SETTINGS)
    hint = f"{right} of {len(Q7_SETTINGS)} are right; each error message names the limit."
    report("Q7", right == len(Q7_SETTINGS), checked, hint)


# -- Q8 --------------------------------------------------------------------------------------
Q8_FUNCTION = "q8-orders"
Q8_SOURCE = """
import logging
logger = logging.getLogger()

def handler(event, context):
    logger.debug("order payload parsed")
    logger.info("order accepted")
    logger.warning("stock is low")
    logger.error("payment declined")
    return "ok"
"""
Q8_KEPT = ("WARN", "ERROR")


def deploy_q8_function() -> str:
    """Q8 set-up: deploy the orders function (plain text logs, AWS's default); return its name."""
    _fresh(Q8_FUNCTION, Q8_SOURCE)
    return Q8_FUNCTION


def check_q8(config: object) -> None:
    """Invoke the Q8 function; its handler's log records must be JSON, WARN and above only."""
    checked = f"{Q8_FUNCTION}'s handler logs are JSON and only {' and '.join(Q8_KEPT)}"
    if not answered("Q8", config, "config"):
        return
    response = _lambda().invoke(FunctionName=Q8_FUNCTION, LogType="Tail")
    lines = base64.b64decode(response.get("LogResult", "")).decode().splitlines()
    records = []
    for line in lines:
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "level" in record:
                records.append(record)
    if not records:
        hint = "no JSON records from the handler: set LoggingConfig's LogFormat."
        return report("Q8", False, checked, hint)
    levels = {record["level"] for record in records}
    report("Q8", levels == set(Q8_KEPT), checked, "set the level for the application's logs.")

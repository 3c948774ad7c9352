"""Checks for the Lambda fundamentals exercises: each runs the learner's code for real in the lab.

A check deploys the learner's handler source to the course's local Lambda (`course.lab`),
invokes it with boto3 and judges what really came back: payloads, REPORT lines, the
environment that ran it, a dead-letter queue's messages. Invocation models are judged
against the facts file. Each check prints one verdict line and never the answer.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import textwrap
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

import course.lab
from course.facts import fact
from course.grading.checks import answered, answered_with_handler, report
from course.lab.events import sample_event

NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)
HANDLER = "app.handler"

# The exercises' own scenario values (not AWS facts).
Q3_BIG = {"items": list(range(100)), "step_ms": 50}
Q3_SMALL = {"items": [1, 2, 3], "step_ms": 10}
Q4_FUNCTION = "q4-orders"
Q5_GREETINGS = ("Hola", "Bonjour")
Q6_SERVICES = (
    "Application Load Balancer",
    "SNS",
    "Kinesis Data Streams",
    "S3 event notifications",
    "Lambda function URLs",
    "SQS",
)
MODEL_NAMES = {
    "synchronous": "synchronous",
    "asynchronous": "asynchronous",
    "event_source_mapping_polling": "event source mapping",
}
Q7_BUCKET = "check-q7-photos"
Q7_KEY = "holiday photos/beach day 1.jpg"

# Q2: deployed next to the learner's app.py; counts every AWS client created, and when.
_Q2_WRAPPER = """
import botocore.session

import_count = {"clients": 0}
_create = botocore.session.Session.create_client


def _counting_create(self, *args, **kwargs):
    import_count["clients"] += 1
    return _create(self, *args, **kwargs)


botocore.session.Session.create_client = _counting_create
import app  # noqa: E402 - the learner's module: its init code runs here, counted

AT_INIT = import_count["clients"]


def handler(event, context):
    before = import_count["clients"]
    result = app.handler(event, context)
    return {"result": result, "at_init": AT_INIT, "in_handler": import_count["clients"] - before}
"""


class _Failed(Exception):
    """The learner's function failed: carries the AWS error type and message."""


def _lambda() -> Any:
    course.lab.start()
    return boto3.client("lambda", config=NO_RETRY)


def _fresh(name: str, source: str | Path, handler: str = HANDLER, **settings: Any) -> None:
    """Deploy `source` as a brand-new function `name` (any older one is deleted first)."""
    lab = course.lab.start()
    client = _lambda()
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_function(FunctionName=name)
    if isinstance(source, str):
        source = textwrap.dedent(source).strip() + "\n"
    lab.deploy(name, source, handler=handler, **settings)


def _role(name: str, action: str, resource: str) -> str:
    """A least-privilege execution role for check function `name`: `action` on `resource`."""
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    return course.lab.start().execution_role(f"{name}-role", policy)


def _invoke(name: str, event: Any) -> Any:
    """Invoke `name` synchronously and return the decoded payload.

    Raises _Failed with the errorType and errorMessage when the function failed.
    """
    response = _lambda().invoke(FunctionName=name, Payload=json.dumps(event).encode())
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise _Failed(f"{payload.get('errorType')}: {payload.get('errorMessage')}")
    return payload


def _failed(question: str, checked: str, error: Exception) -> None:
    report(question, False, checked, f"your function failed with {error}")


# -- Q1 --------------------------------------------------------------------------------------
def expected_q1(event: dict) -> dict:
    """Q1: the API Gateway proxy response the handler should return for `event`."""
    body = {"path": event["path"], "method": event["httpMethod"]}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def q1_events() -> list[dict]:
    """Q1: the console sample event plus a second request to another path."""
    first = sample_event("apigateway-aws-proxy")
    second = sample_event("apigateway-aws-proxy")
    second.update(path="/orders/2002", httpMethod="DELETE")
    return [first, second]


def check_q1(handler_source: object) -> None:
    """Deploy the Q1 handler, invoke it with two API Gateway events, compare the responses."""
    checked = "your handler's responses to two API Gateway proxy events"
    if not answered_with_handler("Q1", handler_source, "handler_source"):
        return
    try:
        _fresh("check-q1-api", handler_source)
        results = [_invoke("check-q1-api", event) for event in q1_events()]
    except _Failed as error:
        return _failed("Q1", checked, error)
    wanted = [expected_q1(event) for event in q1_events()]
    body_is_text = all(isinstance(r, dict) and isinstance(r.get("body"), str) for r in results)
    hint = (
        "statusCode 200, the Content-Type header, and a body built from the event."
        if body_is_text
        else "API Gateway needs `body` as a string: use json.dumps."
    )
    report("Q1", results == wanted, checked, hint)


# -- Q2 --------------------------------------------------------------------------------------
def check_q2(client_source: object) -> None:
    """Deploy the Q2 module, invoke it twice, prove its S3 client was created once, at init."""
    checked = "two invocations in one environment, with the S3 client created at init only"
    if not answered_with_handler("Q2", client_source, "client_source"):
        return
    s3 = boto3.client("s3")
    for bucket in ("check-q2-a", "check-q2-b"):
        s3.create_bucket(Bucket=bucket)
    lab = course.lab.start()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "app.py").write_text(textwrap.dedent(client_source).strip() + "\n")
        Path(folder, "check_wrapper.py").write_text(_Q2_WRAPPER)
        try:
            role = _role("check-q2-clients", "s3:ListAllMyBuckets", "*")
            _fresh("check-q2-clients", Path(folder), handler="check_wrapper.handler", role=role)
            seen = len(lab.invocations)
            results = [_invoke("check-q2-clients", {}) for _ in range(2)]
        except _Failed as error:
            return _failed("Q2", checked, error)
    runs = [i for i in lab.invocations[seen:] if i.function == "check-q2-clients"]
    one_environment = len(runs) == 2 and len({i.environment_id for i in runs}) == 1
    buckets = {"buckets": len(s3.list_buckets()["Buckets"])}
    if any(r["in_handler"] for r in results) or results[0]["at_init"] < 1:
        return report("Q2", False, checked, "create the client outside the handler function.")
    right = one_environment and all(r["result"] == buckets for r in results)
    report("Q2", right, checked, 'the handler should return {"buckets": <how many>}.')


# -- Q3 --------------------------------------------------------------------------------------
def check_q3(work_source: object) -> None:
    """Run the Q3 handler on more work than its timeout allows; require a clean partial result."""
    timeout_s = int(fact("timeout.min_s").value)
    checked = (
        f"a clean partial result from {len(Q3_BIG['items'])} items under a {timeout_s} s timeout"
    )
    if not answered_with_handler("Q3", work_source, "work_source"):
        return
    try:
        _fresh("check-q3-work", work_source, timeout_s=timeout_s)
        big = _invoke("check-q3-work", Q3_BIG)
        small = _invoke("check-q3-work", Q3_SMALL)
    except _Failed as error:
        return _failed("Q3", checked, error)
    total = len(Q3_BIG["items"])
    partial = (
        isinstance(big, dict)
        and isinstance(big.get("done"), int)
        and 0 < big["done"] < total
        and big.get("left") == total - big["done"]
    )
    complete = small == {"done": len(Q3_SMALL["items"]), "left": 0}
    report("Q3", partial and complete, checked, 'return {"done": <count>, "left": <count>}.')


# -- Q4 --------------------------------------------------------------------------------------
def deploy_q4_function() -> str:
    """Q4 set-up: deploy the order function that always fails; return its name."""
    source = 'def handler(event, context):\n    raise RuntimeError("payment service down")\n'
    course.lab.start().deploy(Q4_FUNCTION, source)
    return Q4_FUNCTION


def check_q4(dlq_url: object) -> None:
    """Invoke the Q4 function asynchronously; the failed event must land in the learner's queue."""
    checked = "a failed asynchronous event reached the queue at `dlq_url`"
    if not answered("Q4", dlq_url, "dlq_url"):
        return
    lab, sqs = course.lab.start(), boto3.client("sqs")
    try:
        arn = sqs.get_queue_attributes(QueueUrl=str(dlq_url), AttributeNames=["QueueArn"])
    except Exception:  # noqa: BLE001 - any failure here means the URL is not a queue's
        return report("Q4", False, checked, "`dlq_url` should be the QueueUrl of an SQS queue.")
    client = _lambda()
    try:
        config = client.get_function_configuration(FunctionName=Q4_FUNCTION)
    except client.exceptions.ResourceNotFoundException:
        hint = f"run the cell that deploys {Q4_FUNCTION} first, then your cell."
        return report("Q4", False, checked, hint)
    target = config.get("DeadLetterConfig", {}).get("TargetArn")
    if target != arn["Attributes"]["QueueArn"]:
        hint = "set the function's DeadLetterConfig TargetArn to the queue's ARN."
        return report("Q4", False, checked, hint)
    marker = uuid.uuid4().hex
    client.invoke(
        FunctionName=Q4_FUNCTION, InvocationType="Event", Payload=json.dumps({"orderId": marker})
    )
    lab.wait()
    report("Q4", _take_message(sqs, str(dlq_url), marker), checked, "run the cell above again.")


def _take_message(sqs: Any, url: str, marker: str) -> bool:
    """Whether a message whose body holds `marker` is in the queue (it is deleted)."""
    for _ in range(5):
        most = int(fact("sqs.receive_max_messages").value)
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=most).get("Messages", [])
        for message in messages:
            if marker in message["Body"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                return True
        if not messages:
            return False
    return False


# -- Q5 --------------------------------------------------------------------------------------
def check_q5(env_source: object) -> None:
    """Deploy the Q5 handler with two GREETING values; each answer must use the value set."""
    checked = "your handler's message with two different GREETING values"
    if not answered_with_handler("Q5", env_source, "env_source"):
        return
    results = []
    try:
        for greeting in Q5_GREETINGS:
            _fresh("check-q5-env", env_source, env={"GREETING": greeting})
            results.append(_invoke("check-q5-env", {"name": "Ada"}))
    except _Failed as error:
        return _failed("Q5", checked, error)
    wanted = [{"message": f"{greeting}, Ada!"} for greeting in Q5_GREETINGS]
    report("Q5", results == wanted, checked, "read os.environ['GREETING'], do not type it.")


# -- Q6 --------------------------------------------------------------------------------------
def expected_q6() -> dict[str, str]:
    """Q6: each service's invocation model, from the facts file."""
    models = fact("invocation_types").value
    return {
        service: MODEL_NAMES[model]
        for model, services in models.items()
        for service in services
        if service in Q6_SERVICES
    }


def check_q6(models: object) -> None:
    """Compare the learner's service -> invocation model table with the facts file."""
    checked = f"the invocation model of the {len(Q6_SERVICES)} services"
    if not answered("Q6", models, "models"):
        return
    if not isinstance(models, dict) or any(v is ... for v in models.values()):
        return report("Q6", False, checked, "fill in every `...` in `models`.")
    given = {k: str(v).strip().lower().replace("_", " ") for k, v in models.items()}
    right = sum(given.get(service) == model for service, model in expected_q6().items())
    hint = f"{right} of {len(Q6_SERVICES)} are right; use {', '.join(MODEL_NAMES.values())}."
    report("Q6", right == len(Q6_SERVICES), checked, hint)


# -- Q7 --------------------------------------------------------------------------------------
def q7_event(body: bytes) -> dict:
    """Q7: the S3 put event for the check's object (its key URL-encoded, as S3 sends it)."""
    event = sample_event("s3-put")
    record = event["Records"][0]["s3"]
    record["bucket"].update(name=Q7_BUCKET, arn=f"arn:aws:s3:::{Q7_BUCKET}")
    record["object"].update(key=urllib.parse.quote_plus(Q7_KEY), size=len(body))
    return event


def check_q7(s3_source: object) -> None:
    """Upload an object with spaces in its key, send its S3 event, compare the handler's answer."""
    checked = "your handler's answer to an S3 event for a key with spaces"
    if not answered_with_handler("Q7", s3_source, "s3_source"):
        return
    body = uuid.uuid4().hex.encode()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=Q7_BUCKET)
    s3.put_object(Bucket=Q7_BUCKET, Key=Q7_KEY, Body=body)
    try:
        _fresh(
            "check-q7-s3",
            s3_source,
            role=_role("check-q7-s3", "s3:GetObject", f"arn:aws:s3:::{Q7_BUCKET}/*"),
        )
        result = _invoke("check-q7-s3", q7_event(body))
    except _Failed as error:
        hint = "object keys arrive URL-encoded: decode them with urllib.parse.unquote_plus."
        return report("Q7", False, checked, f"{hint} (your function failed with {error})")
    wanted = {"key": Q7_KEY, "size": len(body)}
    report("Q7", result == wanted, checked, 'return {"key": <decoded key>, "size": <bytes>}.')

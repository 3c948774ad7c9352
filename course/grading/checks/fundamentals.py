"""Checks for the Lambda fundamentals exercises: each runs the learner's code for real in the lab.

A check deploys the learner's handler (a `%%handler NAME` cell, named by NAME, or a code
string) to the course's local Lambda (`course.lab`), invokes it with boto3 and judges what
really came back: payloads, the context's remaining time, the environment that ran it, a
dead-letter queue's messages, REPORT lines. Each check prints one verdict line that names
what is wrong and never the answer; `hint("Q3")` gives the question's hints, level by level.
"""

from __future__ import annotations

import base64
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
from course.grading import hints
from course.grading.checks import answered, handler_code, report
from course.lab.events import sample_event

hint = hints.for_lesson("02")

NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)
HANDLER = "app.handler"

# The exercises' own scenario values (not AWS facts).
Q3_STEP_MS = 50
Q3_SMALL = {"items": [1, 2, 3], "step_ms": 10}
Q4_FUNCTION = "q4-orders"
Q5_GREETINGS = ("Hola", "Bonjour")
Q6_FUNCTION = "check-q6-report"
Q6_MEMORY_MB = 256
Q6_FIELDS = ("billed_ms", "memory_mb", "max_memory_used_mb", "cold")
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
    report(question, False, checked, f"your function failed with {error}.")


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
    code = handler_code("Q1", handler_source, "handler_source")
    if code is None:
        return
    try:
        _fresh("check-q1-api", code)
        results = [_invoke("check-q1-api", event) for event in q1_events()]
    except _Failed as error:
        return _failed("Q1", checked, error)
    wanted = [expected_q1(event) for event in q1_events()]
    report("Q1", results == wanted, checked, _q1_problem(results, wanted))


def _q1_problem(results: list, wanted: list[dict]) -> str:
    """What differs between the handler's answers and API Gateway's proxy format."""
    if not all(isinstance(r, dict) for r in results):
        return "the handler should return a dict, which API Gateway turns into the response."
    for field in ("statusCode", "headers"):
        if any(r.get(field) != w[field] for r, w in zip(results, wanted, strict=True)):
            return f"`{field}` is not what the question asks for."
    if not all(isinstance(r.get("body"), str) for r in results):
        return "`body` is not a string: API Gateway needs the body as text."
    return "`body` does not hold the path and method of each request (the check sends two)."


# -- Q2 --------------------------------------------------------------------------------------
def check_q2(client_source: object) -> None:
    """Deploy the Q2 module, invoke it twice, prove its S3 client was created once, at init."""
    checked = "two invocations in one environment, with the S3 client created at init only"
    code = handler_code("Q2", client_source, "client_source")
    if code is None:
        return
    s3 = boto3.client("s3")
    for bucket in ("check-q2-a", "check-q2-b"):
        s3.create_bucket(Bucket=bucket)
    lab = course.lab.start()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "app.py").write_text(textwrap.dedent(code).strip() + "\n")
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
        problem = "an AWS client was created during an invocation, not at init."
        return report("Q2", False, checked, problem)
    right = one_environment and all(r["result"] == buckets for r in results)
    report("Q2", right, checked, "the answer is not the number of buckets the account has.")


# -- Q3 --------------------------------------------------------------------------------------
def q3_timeouts() -> tuple[int, int]:
    """Q3: the two timeouts the check deploys with (the shortest and the default, in s)."""
    return int(fact("timeout.min_s").value), int(fact("timeout.default_s").value)


def q3_event(timeout_s: int) -> dict:
    """Q3: twice as much work as `timeout_s` allows, in items of Q3_STEP_MS each."""
    return {"items": list(range(2 * timeout_s * 1000 // Q3_STEP_MS)), "step_ms": Q3_STEP_MS}


def _partial(answer: Any, total: int) -> bool:
    """Whether `answer` is a clean partial result of `total` items."""
    return (
        isinstance(answer, dict)
        and isinstance(answer.get("done"), int)
        and 0 < answer["done"] < total
        and answer.get("left") == total - answer["done"]
    )


def check_q3(work_source: object) -> None:
    """Run the Q3 handler under two timeouts: it must stop in time, going by its context.

    The check chooses the time the context reports: the same work under a longer timeout
    must get further. A handler that keeps its own clock does the same work under both.
    """
    short, long = q3_timeouts()
    checked = f"clean partial results under a {short} s and a {long} s timeout, and a small batch"
    code = handler_code("Q3", work_source, "work_source")
    if code is None:
        return
    done = {}
    try:
        for timeout_s in (short, long):
            _fresh("check-q3-work", code, timeout_s=timeout_s)
            event = q3_event(timeout_s)
            answer = _invoke("check-q3-work", event)
            if not _partial(answer, len(event["items"])):
                problem = (
                    f"under a {timeout_s} s timeout the answer was not a clean partial result: "
                    "`done` should count the items processed and `left` the others."
                )
                return report("Q3", False, checked, problem)
            done[timeout_s] = answer["done"]
        small = _invoke("check-q3-work", Q3_SMALL)
    except _Failed as error:
        return _failed("Q3", checked, error)
    if small != {"done": len(Q3_SMALL["items"]), "left": 0}:
        return report("Q3", False, checked, "a small batch that fits in time was not finished.")
    gain = (long - short) * 1000 // Q3_STEP_MS
    if done[long] - done[short] < gain // 2:
        problem = (
            f"your handler did about the same work under a {short} s and a {long} s timeout: "
            "it does not go by the time its context says is left."
        )
        return report("Q3", False, checked, problem)
    report("Q3", True, checked)


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
        problem = f"function {Q4_FUNCTION} does not exist: run the cell that deploys it first."
        return report("Q4", False, checked, problem)
    target = config.get("DeadLetterConfig", {}).get("TargetArn")
    if target != arn["Attributes"]["QueueArn"]:
        problem = f"the dead-letter queue of {Q4_FUNCTION} is not the queue at `dlq_url`."
        return report("Q4", False, checked, problem)
    marker = uuid.uuid4().hex
    client.invoke(
        FunctionName=Q4_FUNCTION, InvocationType="Event", Payload=json.dumps({"orderId": marker})
    )
    lab.wait()
    problem = "the failed event did not reach the queue."
    report("Q4", _take_message(sqs, str(dlq_url), marker), checked, problem)


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
    code = handler_code("Q5", env_source, "env_source")
    if code is None:
        return
    results = []
    try:
        for greeting in Q5_GREETINGS:
            _fresh("check-q5-env", code, env={"GREETING": greeting})
            results.append(_invoke("check-q5-env", {"name": "Ada"}))
    except _Failed as error:
        return _failed("Q5", checked, error)
    wanted = [{"message": f"{greeting}, Ada!"} for greeting in Q5_GREETINGS]
    if results[0] == results[1]:
        problem = "the message stayed the same when GREETING changed."
    else:
        problem = "the message follows GREETING, but is not in the form the question asks for."
    report("Q5", results == wanted, checked, problem)


# -- Q6 --------------------------------------------------------------------------------------
_Q6_SOURCE = """
import time
time.sleep(0.2)

def handler(event, context):
    return sum(range(event.get("n", 1000)))
"""


def _report_line(log_result: str) -> str:
    """The REPORT line of a LogType=Tail log (base64)."""
    lines = base64.b64decode(log_result).decode().splitlines()
    return next(line for line in lines if line.startswith("REPORT"))


def check_q6(read_report: object) -> None:
    """Give the learner's function the REPORT lines of a cold and a warm call; compare fields."""
    checked = "your function on the REPORT lines of a cold and a warm invocation"
    if not answered("Q6", read_report, "read_report"):
        return
    if not callable(read_report):
        return report("Q6", False, checked, "`read_report` should be a function.")
    lab = course.lab.start()
    _fresh(Q6_FUNCTION, _Q6_SOURCE, memory_mb=Q6_MEMORY_MB)
    seen = len(lab.invocations)
    lines = [
        _report_line(_lambda().invoke(FunctionName=Q6_FUNCTION, LogType="Tail")["LogResult"])
        for _ in range(2)
    ]
    runs = [i for i in lab.invocations[seen:] if i.function == Q6_FUNCTION]
    wrong = []
    for call, line, run in zip(("cold call", "warm call"), lines, runs, strict=True):
        wanted = {
            "billed_ms": run.billed_duration_ms,
            "memory_mb": run.memory_size_mb,
            "max_memory_used_mb": run.max_memory_used_mb,
            "cold": run.cold,
        }
        try:
            got = read_report(line)
        except Exception as error:  # noqa: BLE001 - the learner's function failed
            wrong.append(f"{call}: raised {type(error).__name__}")
            continue
        if not isinstance(got, dict):
            wrong.append(f"{call}: not a dict")
            continue
        wrong += [f"{field} ({call})" for field in Q6_FIELDS if got.get(field) != wanted[field]]
    problem = f"these were wrong: {', '.join(wrong)}." if wrong else ""
    report("Q6", not wrong, checked, problem)


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
    code = handler_code("Q7", s3_source, "s3_source")
    if code is None:
        return
    body = uuid.uuid4().hex.encode()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=Q7_BUCKET)
    s3.put_object(Bucket=Q7_BUCKET, Key=Q7_KEY, Body=body)
    try:
        _fresh(
            "check-q7-s3",
            code,
            role=_role("check-q7-s3", "s3:GetObject", f"arn:aws:s3:::{Q7_BUCKET}/*"),
        )
        result = _invoke("check-q7-s3", q7_event(body))
    except _Failed as error:
        return _failed("Q7", checked, error)
    wanted = {"key": Q7_KEY, "size": len(body)}
    if isinstance(result, dict) and result.get("key") != Q7_KEY:
        problem = "the key you returned is not the object's key as it was uploaded."
    else:
        problem = "the answer is not the object's key and size in bytes."
    report("Q7", result == wanted, checked, problem)

"""Lab-verified exam questions: the lab runs each scenario and must agree with the answer.

Each test deploys real handlers (tests/exam/handlers/scenarios.py) into the lab, drives them
with plain boto3 and watches what happens. What it sees is mapped to the question's choices,
each named by words from its own text: `judge` asserts that the choices the lab showed true are
exactly the marked ones among those it could judge, and `measure` compares a counted number
with a numeric question's computed answer. Expectations come from the shipped bank, looked up
by id, so a wrong marked answer (or a lab that stopped behaving like AWS) fails here.

`@verifies(...)` names the questions a test covers; the bank's `verified_by` keys must name
exactly these, so verified questions are told apart from those still waiting for the lab.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from course.exam import question_bank
from course.exam.question_bank import Question
from course.facts import fact
from course.lab import ACCOUNT_ID, REGION

SCENARIOS = Path(__file__).parent / "handlers" / "scenarios.py"
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=30)
QUESTIONS = question_bank.by_id(question_bank.load(question_bank.BANK_DIR))
THIS_FILE = "tests/exam/test_lab_verified.py"
VERIFIED: dict[str, str] = {}  # question id -> the test here that runs its scenario


def verifies(*ids: str) -> Callable:
    """Register the test as the lab verification of the questions `ids`."""

    def mark(test: Callable) -> Callable:
        for qid in ids:
            assert qid not in VERIFIED, f"{qid} is verified twice"
            VERIFIED[qid] = test.__name__
        return test

    return mark


# -- questions and answers ------------------------------------------------------------------
def question(qid: str) -> Question:
    """A question of the shipped bank, rendered (numbers from the facts file)."""
    return QUESTIONS[qid]


def choice(q: Question, words: str) -> int:
    """The index of the choice of `q` that is `words`, or else the one that contains them."""
    found = [i for i, text in enumerate(q.choices) if words == text] or [
        i for i, text in enumerate(q.choices) if words in text
    ]
    assert len(found) == 1, f"{q.id}: {len(found)} choices contain {words!r}: {q.choices}"
    return found[0]


def judge(qid: str, shown: dict[str, bool]) -> None:
    """The lab showed each named choice true or false: the marked answer must agree.

    `shown` maps words of a choice's text to what the lab showed. Choices the lab cannot
    judge are left out; at least one choice shown true must be among the judged ones.
    """
    q = question(qid)
    verdicts = {choice(q, words): bool(value) for words, value in shown.items()}
    lab_says = sorted(i for i, value in verdicts.items() if value)
    marked = sorted(i for i in verdicts if i in q.correct)
    assert lab_says == marked, (
        f"{qid}: the lab shows choice(s) {lab_says} true among {sorted(verdicts)}, "
        f"the question marks {marked}: {[q.choices[i] for i in sorted(verdicts)]}"
    )
    assert lab_says, f"{qid}: the lab confirmed none of the marked choices"


def measure(qid: str, measured: int | Decimal) -> None:
    """The number the lab measured must be the numeric question's computed answer."""
    q = question(qid)
    assert q.answer is not None, f"{qid} is not numeric"
    assert q.answer.matches(Decimal(measured)), (
        f"{qid}: the lab measured {measured}, the question's answer is {q.answer}"
    )


def params(qid: str) -> dict:
    """The parameters a numeric question was rendered with."""
    return dict(question(qid).answer.params)


# -- the lab ---------------------------------------------------------------------------------
@pytest.fixture
def lam(lab):
    return boto3.client("lambda", config=NO_RETRY)


# The lab enforces IAM: the scenario handlers' role allows exactly the calls they make.
SCENARIO_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "s3:PutObject"],
            "Resource": "*",
        }
    ],
}


def deploy(lab, name: str, function: str, **settings) -> dict:
    """Deploy scenarios.`function` as function `name`, with the scenarios' role."""
    settings.setdefault("role", lab.execution_role("exam-scenarios", SCENARIO_POLICY))
    return lab.deploy(name, SCENARIOS, handler=f"scenarios.{function}", **settings)


def invoke(lam, name: str, payload=None, **kwargs) -> tuple[dict, object]:
    """(response, decoded payload) of one Invoke."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kwargs)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def error_code(call: Callable[[], object]) -> str | None:
    """The AWS error code `call` raised (None when it succeeded)."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


def log_lines(name: str) -> list[str]:
    """Every line function `name` wrote to its log group, oldest first."""
    logs = boto3.client("logs")
    try:
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}")
        return [e["message"].rstrip("\n") for page in pages for e in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


def runs(name: str) -> int:
    """How many times function `name` ran: its START lines."""
    return sum(line.startswith("START RequestId:") for line in log_lines(name))


def events_seen(name: str) -> list[dict]:
    """The events a scenarios.record or scenarios.fail function logged, oldest first."""
    return [json.loads(line[6:]) for line in log_lines(name) if line.startswith("EVENT ")]


def reports(name: str) -> list[str]:
    return [line for line in log_lines(name) if line.startswith("REPORT ")]


def make_queue(name: str, **attributes: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def send_all(url: str, bodies: list[str]) -> None:
    sqs = boto3.client("sqs")
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": b} for n, b in enumerate(chunk)]
        )


def bucket_for(bucket: str, *configs: dict) -> None:
    """Create `bucket`, let S3 invoke the functions and set its notification configurations."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    for arn in {config["LambdaFunctionArn"] for config in configs}:
        boto3.client("lambda").add_permission(
            FunctionName=arn,
            StatementId=f"s3-{bucket}",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=f"arn:aws:s3:::{bucket}",
            SourceAccount=ACCOUNT_ID,
        )
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": list(configs)}
    )


def allow(function_arn: str, principal: str, source_arn: str) -> None:
    """Let an AWS service invoke the function for one source, as AWS requires."""
    boto3.client("lambda").add_permission(
        FunctionName=function_arn,
        StatementId=principal.split(".")[0],
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source_arn,
    )


def on_created(function_arn: str, prefix: str = "", suffix: str = "") -> dict:
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    config = {"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}
    return {**config, "Filter": {"Key": {"FilterRules": rules}}} if rules else config


def invocation_types(lab, name: str) -> set[str]:
    return {i.invocation_type for i in lab.invocations if i.function == name}


# -- invocation: sync, async, errors -----------------------------------------------------------
@verifies("invocation-003")
def test_an_event_invoke_is_accepted_before_the_handler_finishes(lab, lam):
    deploy(lab, "slow", "sleep", timeout_s=3)
    started = time.monotonic()
    response, body = invoke(lam, "slow", {"seconds": 0.5}, InvocationType="Event")
    returned_after = time.monotonic() - started
    finished_before_return = len(lab.invocations)
    lab.wait()
    accepted = response["StatusCode"] == 202 and body is None
    judge(
        "invocation-003",
        {
            "Accepted) with an empty payload": accepted and finished_before_return == 0,
            "OK) with the handler's return value": response["StatusCode"] == 200 or body,
            "logs, base64": "LogResult" in response,
            "Nothing until the function finishes": returned_after >= 0.5,
        },
    )
    assert [i.outcome for i in lab.invocations] == ["success"]


@verifies("invocation-004")
def test_a_sync_error_comes_back_in_the_response(lab, lam):
    deploy(lab, "broken", "raise_value_error")
    response, body = invoke(lam, "broken")
    error_payload = isinstance(body, dict) and {"errorMessage", "errorType"} <= set(body)
    judge(
        "invocation-004",
        {
            "FunctionError field is Unhandled": response["StatusCode"] == 200
            and response.get("FunctionError") == "Unhandled"
            and error_payload
            and body["errorType"] == "ValueError",
            "HTTP server error with no payload": response["StatusCode"] >= 500 or body is None,
            "A retry": runs("broken") > 1,
            "only visible in CloudWatch Logs": body is None,
        },
    )


@verifies("invocation-015")
def test_a_sync_request_over_the_limit_is_refused_before_running(lab, lam):
    deploy(lab, "echo", "record")
    too_big = int(fact("payload.sync_request_mb").value) * 1024 * 1024
    code = error_code(lambda: lam.invoke(FunctionName="echo", Payload=json.dumps("x" * too_big)))
    q = question("invocation-015")
    refused = code is not None and code in q.choices[choice(q, "Invoke fails with")]
    judge(
        "invocation-015",
        {
            "Invoke fails with": refused and runs("echo") == 0,
            "truncates the payload": runs("echo") > 0,
            "fails with a timeout": runs("echo") > 0,
        },
    )


@verifies("invocation-017")
def test_log_type_tail_returns_the_end_of_the_log(lab, lam):
    deploy(lab, "talker", "record")
    small, _ = invoke(lam, "talker", {"n": 1}, LogType="Tail")
    small_tail = base64.b64decode(small["LogResult"]).decode()
    big, _ = invoke(lam, "talker", {"text": "x" * 20_000}, LogType="Tail")
    big_tail = base64.b64decode(big["LogResult"])
    limit = int(fact("invoke.log_tail_kb").value) * 1024
    stream_text = "\n".join(log_lines("talker"))
    has_lines = all(f"{word} RequestId:" in small_tail for word in ("START", "END", "REPORT"))
    judge(
        "invocation-017",
        {
            "base64 encoded, in LogResult": has_lines
            and len(big_tail) == limit
            and big_tail.decode().rstrip().splitlines()[-1].startswith("REPORT"),
            "The complete log stream": len(big_tail) >= len(stream_text),
            "X-Ray trace id only": "LogResult" not in big,
            "Nothing more": "LogResult" not in big,
        },
    )


@verifies("invocation-018", "observability-018")
def test_a_hanging_call_ends_at_the_timeout(lab, lam):
    timeout_s = int(fact("timeout.min_s").value)
    deploy(lab, "hangs", "sleep", timeout_s=timeout_s)
    response, body = invoke(lam, "hangs", {"seconds": timeout_s + 5})
    (report,) = reports("hangs")
    duration_ms = float(re.search(r"\tDuration: ([\d.]+) ms", report).group(1))
    timed_out = f"Task timed out after {timeout_s:.2f} seconds" in body.get("errorMessage", "")
    at_timeout = duration_ms == timeout_s * 1000
    judge(
        "invocation-018",
        {
            "task timed out after the timeout": timed_out and at_timeout,
            "partial result": body == "woke up",
            "A retry after the default timeout": runs("hangs") > 1,
            "A throttling error": response["StatusCode"] == 429,
        },
    )
    _, quick = invoke(lam, "hangs", {"seconds": 0})  # the same code with a short wait
    judge(
        "observability-018",
        {"A downstream call that hangs": timed_out and at_timeout and quick == "woke up"},
    )


@verifies("invocation-019", "invocation-020", "observability-001", "observability-002")
def test_cold_and_warm_invocations_in_the_logs(lab, lam):
    deploy(lab, "state", "environment", timeout_s=3)
    _, first = invoke(lam, "state", {"marker": "EVENT-PAYLOAD-MARKER"})
    _, second = invoke(lam, "state", {"marker": "EVENT-PAYLOAD-MARKER"})
    lines = log_lines("state")
    cold, warm = reports("state")
    inits = sum(line == "INIT scenarios" for line in lines)
    judge(
        "invocation-019",
        {
            "It runs once per execution environment": inits == 1 and "Init Duration" in cold,
            "can be reused by later warm invocations": second["calls"] == 2
            and second["pid"] == first["pid"],
            "It runs again before every invocation": inits == 2,
        },
    )
    q = question("invocation-020")
    judge(
        "invocation-020",
        {field: field in cold and field not in warm for field in q.choices},
    )
    judge(
        "observability-002",
        {
            "Duration and Billed Duration": "\tDuration:" in warm and "Billed Duration:" in warm,
            "Memory Size and Max Memory Used": "Memory Size:" in warm
            and "Max Memory Used:" in warm,
            "Init Duration, on a cold start": "Init Duration:" in cold
            and "Init Duration:" not in warm,
            "IP address": bool(re.search(r"\b\d+\.\d+\.\d+\.\d+\b", cold + warm)),
            "The event payload": "EVENT-PAYLOAD-MARKER" in cold + warm,
        },
    )
    logs = boto3.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/state")["logStreams"]
    environments = {i.environment_id for i in lab.invocations}
    buckets = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    started = [line.split()[2] for line in lines if line.startswith("START RequestId:")]
    judge(
        "observability-001",
        {
            "/aws/lambda/FUNCTION_NAME, one log stream per execution environment": len(streams)
            == len(environments)
            and started == [first["request_id"], second["request_id"]],
            "To an S3 bucket named after the function": "state" in buckets,
            "Nowhere until a log destination is configured": not lines,
        },
    )


def test_init_is_billed_on_a_cold_start(lab, lam):
    deploy(lab, "state", "environment", timeout_s=3)
    invoke(lam, "state")
    (cold,) = reports("state")
    duration, billed, init = (
        float(re.search(rf"\t{name}: ([\d.]+) ms", cold).group(1))
        for name in ("Duration", "Billed Duration", "Init Duration")
    )
    judge("invocation-019", {"billed as part of the cold start": billed >= duration + init})


@verifies("invocation-022", "invocation-028")
def test_context_and_what_an_environment_keeps(lab, lam):
    timeout_s = int(fact("timeout.default_s").value)
    deploy(lab, "state", "environment", timeout_s=timeout_s, memory_mb=256)
    _, first = invoke(lam, "state")
    _, warm = invoke(lam, "state")
    cold_report = reports("state")[0]
    judge(
        "invocation-022",
        {
            "The request id, the function name and version, the memory limit and the time left": (
                f"RequestId: {first['request_id']}" in cold_report
                and (first["function_name"], first["function_version"]) == ("state", "$LATEST")
                and int(first["memory_limit_in_mb"]) == 256
                and 0 < first["remaining_ms"] <= timeout_s * 1000
            )
        },
    )
    answers = []
    calls = [
        threading.Thread(target=lambda: answers.append(invoke(lam, "state", {"seconds": 0.5})[1]))
        for _ in range(2)
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join()
    judge(
        "invocation-028",
        {
            "Files written to /tmp may still be there": warm["tmp_before"] == first["request_id"],
            "different environments that share nothing": len({a["pid"] for a in answers}) == 2,
            "A warm environment handles one invocation at a time": len(answers) == 2
            and first["pid"] in {a["pid"] for a in answers}
            and len({a["pid"] for a in answers}) == 2,
            "Global variables are reset": warm["calls"] == 1,
        },
    )


@verifies("concurrency-008", "invocation-027", "invocation-012")
def test_reserved_concurrency_zero_throttles_sync_and_holds_async(lab, lam):
    deploy(lab, "paused", "record")
    invoke(lam, "paused", {"n": 0})  # one warm environment exists
    lam.put_function_concurrency(FunctionName="paused", ReservedConcurrentExecutions=0)
    started = time.monotonic()
    try:
        lam.invoke(FunctionName="paused", Payload=b'{"n": 1}')
        error = None
    except ClientError as caught:
        error = caught.response
    answered_after = time.monotonic() - started
    throttled = error is not None and error["Error"]["Code"] == "TooManyRequestsException"
    ran_sync = runs("paused")

    # The lab keeps a throttled event up to its maximum age, as AWS does.
    accepted = lam.invoke(FunctionName="paused", InvocationType="Event", Payload=b'{"n": 2}')
    time.sleep(0.3)
    ran_while_zero = runs("paused") - ran_sync
    lam.delete_function_concurrency(FunctionName="paused")
    lab.wait()
    ran_later = [e for e in events_seen("paused") if e == {"n": 2}]

    judge(
        "concurrency-008",
        {
            "Every invocation is throttled": throttled and ran_while_zero == 0,
            "Only cold starts are throttled": not throttled,
            "queue inside Lambda for synchronous callers": not throttled and answered_after > 1,
            "Nothing changes for asynchronous invocations": ran_while_zero > 0,
        },
    )
    judge(
        "invocation-027",
        {
            "no concurrency was available": throttled
            and error["ResponseMetadata"]["HTTPStatusCode"] == 429
            and "Concurrent" in error.get("Reason", ""),
            "The function raised an exception": ran_sync > 1,
        },
    )
    judge(
        "invocation-012",
        {
            "retries with back-off until it can run": ran_while_zero == 0 and len(ran_later) == 1,
            "drops it at once": not ran_later,
            "returns a throttling error to S3 or SNS": accepted["StatusCode"] != 202,
            "runs it anyway": ran_while_zero > 0,
        },
    )


# -- asynchronous retries, destinations, dead-letter queue -------------------------------------
def retry_config(lam, name: str, qid: str) -> None:
    """Set the question's MaximumRetryAttempts on `name` (the default when it gives none)."""
    retries = params(qid).get("retries")
    if retries is not None:
        lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=retries)


@verifies("invocation-005", "invocation-034")
def test_runs_of_a_failing_s3_event(lab, lam):
    default = deploy(lab, "fails-default", "fail")["FunctionArn"]
    configured = deploy(lab, "fails-configured", "fail")["FunctionArn"]
    retry_config(lam, "fails-default", "invocation-005")
    retry_config(lam, "fails-configured", "invocation-034")
    bucket_for("uploads", on_created(default, "a/"), on_created(configured, "b/"))
    s3 = boto3.client("s3")
    s3.put_object(Bucket="uploads", Key="a/report.csv", Body=b"x")
    s3.put_object(Bucket="uploads", Key="b/report.csv", Body=b"x")
    lab.wait()
    measure("invocation-005", runs("fails-default"))
    measure("invocation-034", runs("fails-configured"))


@verifies("invocation-006", "observability-022")
def test_runs_of_a_failing_async_invoke(lab, lam):
    for qid in ("invocation-006", "observability-022"):
        deploy(lab, qid, "fail")
        retry_config(lam, qid, qid)
        invoke(lam, qid, {"for": qid}, InvocationType="Event")
    lab.wait()
    for qid in ("invocation-006", "observability-022"):
        measure(qid, runs(qid))


@verifies("invocation-011")
def test_the_dead_letter_queue_gets_the_event(lab, lam):
    url, arn = make_queue("orders-dlq")
    deploy(lab, "orders", "fail", DeadLetterConfig={"TargetArn": arn})
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=0)
    event = {"orderId": "1001"}
    invoke(lam, "orders", event, InvocationType="Event")
    lab.wait()
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )
    bodies = [json.loads(m["Body"]) for m in messages]
    q = question("invocation-011")
    named = re.findall(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b", q.choices[choice(q, "original event")])
    attributes = set(messages[0]["MessageAttributes"]) if messages else set()
    judge(
        "invocation-011",
        {
            "The original event as the message body": bodies == [event]
            and named
            and set(named) <= attributes,
            "The function's return value": any("errorType" in b for b in bodies),
            "A destination record": any("requestContext" in b for b in bodies),
            "Nothing: dead-letter queues only apply": not messages,
        },
    )


# -- S3 --------------------------------------------------------------------------------------
@verifies("integrations-001", "integrations-002")
def test_s3_notifications_with_key_filters(lab):
    arn = deploy(lab, "thumbs", "record")["FunctionArn"]
    bucket_for("photos", on_created(arn, prefix="uploads/", suffix=".jpg"))
    s3 = boto3.client("s3")
    for key in ("uploads/my cat.jpg", "uploads/notes.txt", "thumbnails/my cat.jpg"):
        s3.put_object(Bucket="photos", Key=key, Body=b"JPEG-BYTES")
    lab.wait()
    s3.delete_object(Bucket="photos", Key="uploads/my cat.jpg")
    lab.wait()
    events = events_seen("thumbs")
    (event,) = events
    record = event["Records"][0]["s3"]
    judge(
        "integrations-001",
        {
            "event['Records'][i]['s3']['bucket']['name']": record["bucket"]["name"] == "photos"
            and record["object"]["key"] == urllib.parse.quote_plus("uploads/my cat.jpg", "/"),
            "event['bucket'] and event['key'] at the top level": "bucket" in event,
            "event['detail']['bucket']['name']": "detail" in event,
            "only holds the object's contents": base64.b64encode(b"JPEG-BYTES").decode()
            in json.dumps(event),
        },
    )
    judge(
        "integrations-002",
        {
            "prefix filter uploads/ and suffix filter .jpg": len(events) == 1
            and record["object"]["key"].startswith("uploads/"),
            "Two buckets are always required": len(events) != 1,
        },
    )


@verifies("invocation-025")
def test_writing_into_the_triggering_prefix_loops(lab):
    arn = deploy(lab, "looping", "thumbnail", env={"OUTPUT": "uploads/"})["FunctionArn"]
    bucket_for("gallery", on_created(arn, prefix="uploads/"))
    boto3.client("s3").put_object(Bucket="gallery", Key="uploads/cat.jpg", Body=b"x")
    lab.wait()
    looped = runs("looping")
    fixed = deploy(lab, "fixed", "thumbnail", env={"OUTPUT": "thumbnails/"})["FunctionArn"]
    bucket_for("gallery2", on_created(fixed, prefix="uploads/"))
    boto3.client("s3").put_object(Bucket="gallery2", Key="uploads/cat.jpg", Body=b"x")
    lab.wait()
    outcomes = {i.outcome for i in lab.invocations}
    judge(
        "invocation-025",
        {
            "A recursive loop": looped > 1 and runs("fixed") == 1,
            "A throttling error on the first write": any(
                "TooManyRequests" in str(i.error_type) for i in lab.invocations
            ),
            "S3 never notifies for objects written by Lambda": looped == 1,
            "A timeout": "timeout" in outcomes,
        },
    )


# -- SQS event source mappings ---------------------------------------------------------------
def sqs_deliveries(lab, name: str, batch_size: int, failed: int, partial: bool) -> Counter:
    """Run one full batch through an SQS mapping; `failed` records fail on first delivery.

    Returns how many times each message body reached the handler.
    """
    # A batch above 10 needs a batching window; messages gathered during it must stay
    # invisible meanwhile, so their visibility timeout outlasts the window.
    window_s = 1 if batch_size > 10 else 0
    url, arn = make_queue(name, VisibilityTimeout=str(2 * window_s))
    bodies = [f"{name}-{n}" for n in range(batch_size)]
    env = {"FAIL": ",".join(bodies[:failed]), "REPORT": "partial" if partial else "raise"}
    deploy(lab, name, "sqs_batch", env=env)
    send_all(url, bodies)
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=batch_size,
        FunctionResponseTypes=["ReportBatchItemFailures"] if partial else [],
        MaximumBatchingWindowInSeconds=window_s,
    )
    deadline = time.monotonic() + 10 + 4 * window_s
    while queue_depth(url) and time.monotonic() < deadline:  # in-flight messages come back
        lab.wait()
        time.sleep(0.05)
    lab.wait()
    assert queue_depth(url) == 0
    return Counter(line[9:] for line in log_lines(name) if line.startswith("DELIVERY "))


@verifies("integrations-007", "integrations-008", "patterns-024")
def test_sqs_partial_batch_responses(lab):
    for qid in ("integrations-008", "patterns-024"):
        p = params(qid)
        delivered = sqs_deliveries(lab, qid, p["batch_size"], p["failed"], partial=True)
        measure(qid, sum(delivered.values()))
        if qid == "integrations-008":
            again = {body for body, count in delivered.items() if count > 1}
            failing = {f"{qid}-{n}" for n in range(p["failed"])}
            judge(
                "integrations-007",
                {
                    "Only the failed messages become visible again": again == failing,
                    "The whole batch is redelivered": len(again) == len(delivered),
                    "The failed messages are deleted and logged": not again,
                    "on-failure destination": not again,
                },
            )


@verifies("integrations-009", "integrations-040")
def test_sqs_batch_that_raises(lab):
    for qid in ("integrations-009", "integrations-040"):
        p = params(qid)
        delivered = sqs_deliveries(lab, qid, p["batch_size"], p["failed"], partial=False)
        measure(qid, sum(delivered.values()))


def idempotency_table(name: str, key: str) -> None:
    boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@verifies("integrations-010", "patterns-012")
def test_duplicate_sqs_deliveries_and_an_idempotent_consumer(lab):
    delivered = sqs_deliveries(lab, "naive", batch_size=2, failed=1, partial=False)
    succeeded_twice = delivered["naive-1"] == 2  # it did not fail, yet came back

    idempotency_table("payments", "paymentId")
    url, arn = make_queue("payments", VisibilityTimeout="0")
    deploy(lab, "payer", "charge_once", env={"TABLE": "payments", "KEY": "paymentId"})
    send_all(url, [json.dumps({"paymentId": "pay-7"})] * 2)  # one message, delivered twice
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="payer", BatchSize=1
    )
    lab.wait()
    lines = log_lines("payer")
    charged = sum(line == "CHARGED pay-7" for line in lines)
    skipped = sum(line == "SKIPPED pay-7" for line in lines)
    items = boto3.client("dynamodb").scan(TableName="payments")["Items"]
    once = charged == 1 and skipped == 1 and len(items) == 1
    judge(
        "integrations-010",
        {
            "Standard queues deliver at least once": succeeded_twice,
            "redelivers messages that already succeeded": succeeded_twice,
            "The handler should be idempotent": once,
            "exactly-once delivery": not succeeded_twice,
        },
    )
    judge(
        "patterns-012",
        {
            "Derive an idempotency key from the event": once,
            "Record the key with a conditional write": once,
            "only needed for synchronous invocations": not succeeded_twice,
        },
    )


@verifies("integrations-011")
def test_a_conditional_put_makes_a_repeat_harmless(lab, lam):
    q = question("integrations-011")
    key = re.search(r"attribute_not_exists\((\w+)\)", q.choices[choice(q, "PutItem with")])[1]
    idempotency_table("orders", key)
    env = {"TABLE": "orders", "KEY": key}
    deploy(lab, "place", "charge_once", env=env)
    deploy(lab, "count", "count_without_condition", env=env)
    event = {key: "order-1001"}
    answers = [invoke(lam, "place", event)[1] for _ in range(2)]
    for _ in range(2):
        invoke(lam, "count", {"id": "order-2002"})
    table = boto3.client("dynamodb").scan(TableName="orders")["Items"]
    counted = [int(i["processed"]["N"]) for i in table if "processed" in i]
    judge(
        "integrations-011",
        {
            "PutItem with ConditionExpression": answers == [["charged"], ["skipped"]]
            and len(table) - len(counted) == 1,
            "UpdateItem that increments a counter": counted == [1],
        },
    )


@verifies("invocation-030")
def test_the_queue_decides_sqs_retries(lab, lam):
    dlq_url, dlq_arn = make_queue("jobs-dlq")
    fn_dlq_url, fn_dlq_arn = make_queue("function-dlq")
    max_receives = 3
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
    url, arn = make_queue("jobs", VisibilityTimeout="0", RedrivePolicy=policy)
    deploy(lab, "jobs", "fail", DeadLetterConfig={"TargetArn": fn_dlq_arn})
    lam.put_function_event_invoke_config(FunctionName="jobs", MaximumRetryAttempts=0)
    send_all(url, ["job-1"])
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="jobs")
    lab.wait()
    in_dlq = boto3.client("sqs").receive_message(QueueUrl=dlq_url).get("Messages", [])
    received = runs("jobs")
    judge(
        "invocation-030",
        {
            "The queue: a failed batch becomes visible again": received == max_receives
            and [m["Body"] for m in in_dlq] == ["job-1"],
            "Lambda's asynchronous retry settings": received == 1,
            "The function's DeadLetterConfig": queue_depth(fn_dlq_url) > 0,
            "SQS retries exactly once and then deletes": received == 2 and not in_dlq,
        },
    )


# -- SNS -------------------------------------------------------------------------------------
@verifies("integrations-013", "integrations-014")
def test_sns_delivers_asynchronously_and_filters(lab):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    every = deploy(lab, "every-order", "record")["FunctionArn"]
    some = deploy(lab, "de-fr-orders", "record")["FunctionArn"]
    allow(every, "sns.amazonaws.com", topic)
    allow(some, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=every)
    policy = json.dumps({"country": ["DE", "FR"]})
    sns.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=some, Attributes={"FilterPolicy": policy}
    )
    for country in ("DE", "FR", "US"):
        sns.publish(
            TopicArn=topic,
            Message=f"order from {country}",
            Subject="new order",
            MessageAttributes={"country": {"DataType": "String", "StringValue": country}},
        )
    lab.wait()
    seen = events_seen("every-order")
    first = seen[0]["Records"][0]
    shaped = (first.get("Sns") or {}).get("Message") == "order from DE" and (
        first["Sns"]["Subject"],
        first["Sns"]["TopicArn"],
        first["Sns"]["MessageAttributes"]["country"]["Value"],
    ) == ("new order", topic, "DE")
    mappings = boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    judge(
        "integrations-013",
        {
            "Asynchronously, with Records[i].Sns": shaped
            and invocation_types(lab, "every-order") == {"Event"},
            "Synchronously": "RequestResponse" in invocation_types(lab, "every-order"),
            "event source mapping that polls": bool(mappings),
            "at event['body']": "body" in seen[0],
        },
    )
    countries = sorted(e["Records"][0]["Sns"]["Message"][-2:] for e in events_seen("de-fr-orders"))
    judge(
        "integrations-014",
        {"An SNS subscription filter policy": countries == ["DE", "FR"] and len(seen) == 3},
    )


def fewer_messages(qid: str) -> Question:
    """The question re-rendered with a twentieth of its messages (at least 1 of each kind).

    Its queues and filters stay as they are and its answer is recomputed by its own formula.
    moto's SQS slows down as a queue grows, so the full count would take minutes to publish.
    """
    q = question(qid)
    counts = {k: max(1, v // 20) for k, v in q.answer.params.items() if k in MESSAGE_PARAMS}
    raw = json.loads(json.dumps(q.source, default=str))
    raw["params"] = {**raw.get("params", {}), **counts}
    if "params" in raw.get("answer", {}):
        raw["answer"]["params"] = {**raw["answer"]["params"], **counts}
    return question_bank.render(raw, q.formulas)


MESSAGE_PARAMS = ("messages", "matching", "other")


def fan_out(q: Question) -> int:
    """Publish `q`'s messages to a topic with its filtered and open SQS subscriptions.

    Returns how many messages landed in all the queues together.
    """
    p = q.answer.params
    filtered = p.get("filtered_queues", 0)
    open_ = p.get("open_queues", p.get("queues", 0))
    policy = json.loads(re.search(r"\{.*?\}", q.prompt)[0]) if filtered else {"kind": ["x"]}
    (attribute, (wanted, *_)), *_ = policy.items()
    sns = boto3.client("sns")
    topic = sns.create_topic(Name=f"{q.id}-topic")["TopicArn"]
    urls = []
    for n in range(filtered + open_):
        url, arn = make_queue(f"{q.id}-q{n}")
        attributes = {"RawMessageDelivery": "true"}  # counts the same, without moto's signing
        if n < filtered:
            attributes["FilterPolicy"] = json.dumps(policy)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        urls.append(url)
    matching = p.get("matching", p.get("messages", 0))
    values = [wanted] * matching + [f"not-{wanted}"] * p.get("other", 0)
    for start in range(0, len(values), 10):
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {
                    "Id": str(n),
                    "Message": f"message {start + n}",
                    "MessageAttributes": {attribute: {"DataType": "String", "StringValue": value}},
                }
                for n, value in enumerate(values[start : start + 10])
            ],
        )
    return sum(queue_depth(url) for url in urls)


@verifies("patterns-001", "patterns-002", "patterns-022")
def test_sns_fan_out_to_sqs_queues(lab):
    for qid in ("patterns-001", "patterns-002", "patterns-022"):
        q = fewer_messages(qid)
        landed = fan_out(q)
        assert q.answer.matches(Decimal(landed)), (
            f"{qid} with {dict(q.answer.params)}: the lab counted {landed}, "
            f"the question's formula gives {q.answer}"
        )


# -- EventBridge -----------------------------------------------------------------------------
@verifies("integrations-021", "integrations-022")
def test_eventbridge_pattern_and_envelope(lab):
    arn = deploy(lab, "on-order", "record")["FunctionArn"]
    q = question("integrations-021")
    pattern = json.loads(re.search(r"\{.*\}", q.prompt)[0])
    events = boto3.client("events")
    rule = events.put_rule(Name="orders", EventPattern=json.dumps(pattern))["RuleArn"]
    allow(arn, "events.amazonaws.com", rule)
    events.put_targets(Rule="orders", Targets=[{"Id": "fn", "Arn": arn}])
    source, detail_type = pattern["source"][0], pattern["detail-type"][0]
    sent = [
        (source, detail_type, {"n": 0, "anything": [1, 2]}),
        ("shop.other", "Note", {"n": 1, "text": detail_type}),
        (source, "OrderCancelled", {"n": 2}),
    ]
    events.put_events(
        Entries=[
            {"Source": s, "DetailType": t, "Detail": json.dumps(d), "Resources": []}
            for s, t, d in sent
        ]
    )
    lab.wait()
    seen = events_seen("on-order")
    got = {e["detail"]["n"] for e in seen}
    judge(
        "integrations-021",
        {
            "detail-type OrderPlaced, whatever its detail": got == {0},
            "detail contains the word": 1 in got,
            "detail-type OrderCancelled": 2 in got,
            "Only events sent by a Lambda function": not got,
        },
    )
    q = question("integrations-022")
    listed = q.choices[choice(q, "The event envelope")].split(":", 1)[1]
    keys = {k.strip() for k in re.split(r",| and ", listed) if k.strip()}
    (event,) = seen
    judge(
        "integrations-022",
        {
            "The event envelope": set(event) == keys and event["detail"] == sent[0][2],
            "Only the detail object": event == sent[0][2],
            "A Records list": "Records" in event,
            "The rule's pattern": event == pattern,
        },
    )


@verifies("patterns-009")
def test_eventbridge_target_retries_then_the_destination(lab, lam):
    arn = deploy(lab, "choreo", "fail")["FunctionArn"]
    url, queue_arn = make_queue("choreo-failures")
    lam.put_function_event_invoke_config(
        FunctionName="choreo", DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    events = boto3.client("events")
    rule = events.put_rule(Name="malformed", EventPattern=json.dumps({"source": ["shop.orders"]}))
    allow(arn, "events.amazonaws.com", rule["RuleArn"])
    events.put_targets(Rule="malformed", Targets=[{"Id": "fn", "Arn": arn}])
    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Bad", "Detail": "{}"}])
    lab.wait()
    (message,) = boto3.client("sqs").receive_message(QueueUrl=url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == runs("choreo")
    measure("patterns-009", runs("choreo"))


# -- which services invoke how ---------------------------------------------------------------
@verifies("invocation-002", "invocation-033")
def test_async_services_and_a_sync_cognito_trigger(lab):
    s3_fn = deploy(lab, "from-s3", "record")["FunctionArn"]
    sns_fn = deploy(lab, "from-sns", "record")["FunctionArn"]
    eb_fn = deploy(lab, "from-eventbridge", "record")["FunctionArn"]
    cognito_fn = deploy(lab, "from-cognito", "record")["FunctionArn"]
    failing_fn = deploy(lab, "pre-sign-up", "fail")["FunctionArn"]
    bucket_for("drops", on_created(s3_fn))
    boto3.client("s3").put_object(Bucket="drops", Key="a.txt", Body=b"a")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    allow(sns_fn, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=sns_fn)
    sns.publish(TopicArn=topic, Message="hello")
    events = boto3.client("events")
    rule = events.put_rule(Name="all", EventPattern=json.dumps({"source": ["shop"]}))
    allow(eb_fn, "events.amazonaws.com", rule["RuleArn"])
    events.put_targets(Rule="all", Targets=[{"Id": "fn", "Arn": eb_fn}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "Hi", "Detail": "{}"}])
    idp = boto3.client("cognito-idp")

    def sign_up(trigger: str, user: str) -> tuple[str | None, list]:
        pool = idp.create_user_pool(PoolName=user, LambdaConfig={"PreSignUp": trigger})
        allow(trigger, "cognito-idp.amazonaws.com", pool["UserPool"]["Arn"])
        client = idp.create_user_pool_client(UserPoolId=pool["UserPool"]["Id"], ClientName="web")[
            "UserPoolClient"
        ]["ClientId"]
        code = error_code(
            lambda: idp.sign_up(ClientId=client, Username=user, Password="Correct-Horse-9")
        )
        users = idp.list_users(UserPoolId=pool["UserPool"]["Id"])["Users"]
        return code, users

    sign_up(cognito_fn, "ana")
    refused, users = sign_up(failing_fn, "eve")
    lab.wait()
    asynchronous = {
        name: invocation_types(lab, name) == {"Event"}
        for name in ("from-s3", "from-sns", "from-eventbridge", "from-cognito")
    }
    judge(
        "invocation-002",
        {
            "S3 event notifications": asynchronous["from-s3"],
            "SNS subscriptions": asynchronous["from-sns"],
            "EventBridge rules": asynchronous["from-eventbridge"],
            "Cognito user pool triggers": asynchronous["from-cognito"],
        },
    )
    sync = invocation_types(lab, "pre-sign-up") == {"RequestResponse"}
    judge(
        "invocation-033",
        {
            "The sign-up fails with an error": refused == "UserLambdaValidationException"
            and sync
            and not users,
            "The sign-up succeeds and Lambda retries": refused is None,
            "Cognito ignores trigger errors": refused is None,
        },
    )


# -- streams and logs ------------------------------------------------------------------------
@verifies("integrations-015")
def test_the_stream_view_type_that_carries_both_images(lab):
    arn = deploy(lab, "audit", "record")["FunctionArn"]
    dynamodb = boto3.client("dynamodb")
    q = question("integrations-015")
    for view in q.choices:
        stream = dynamodb.create_table(
            TableName=f"t-{view}",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
        )["TableDescription"]["LatestStreamArn"]
        boto3.client("lambda").create_event_source_mapping(
            EventSourceArn=stream, FunctionName=arn, StartingPosition="TRIM_HORIZON"
        )
        dynamodb.put_item(TableName=f"t-{view}", Item={"id": {"S": "1"}, "v": {"S": "old"}})
        dynamodb.put_item(TableName=f"t-{view}", Item={"id": {"S": "1"}, "v": {"S": "new"}})
    lab.wait()
    both = {}
    for event in events_seen("audit"):
        for item in event["Records"]:
            if item["eventName"] == "MODIFY":
                view = item["eventSourceARN"].split("/")[1][2:]
                images = item["dynamodb"]
                both[view] = (images.get("OldImage"), images.get("NewImage")) == (
                    {"id": {"S": "1"}, "v": {"S": "old"}},
                    {"id": {"S": "1"}, "v": {"S": "new"}},
                )
    assert set(both) == set(q.choices)
    judge("integrations-015", both)


@verifies("integrations-019")
def test_kinesis_data_is_base64(lab):
    arn = deploy(lab, "clicks", "record")["FunctionArn"]
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    kinesis.put_record(StreamName="clicks", Data=b"click on buy", PartitionKey="user-1")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName=arn, StartingPosition="TRIM_HORIZON"
    )
    lab.wait()
    (event,) = events_seen("clicks")
    (item,) = event["Records"]
    judge(
        "integrations-019",
        {
            "Base64-decode Records[i]['kinesis']['data']": base64.b64decode(item["kinesis"]["data"])
            == b"click on buy",
            "Read Records[i]['body'] as plain text": "body" in item,
            "Unzip Records[i]['awslogs']['data']": "awslogs" in item,
        },
    )


@verifies("integrations-024")
def test_a_logs_subscription_sends_gzipped_base64_json(lab):
    arn = deploy(lab, "alerts", "record")["FunctionArn"]
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/shop/app")
    logs.create_log_stream(logGroupName="/shop/app", logStreamName="web-1")
    allow(arn, "logs.amazonaws.com", f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/shop/app:*")
    logs.put_subscription_filter(
        logGroupName="/shop/app", filterName="errors", filterPattern="ERROR", destinationArn=arn
    )
    logs.put_log_events(
        logGroupName="/shop/app",
        logStreamName="web-1",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "ERROR card declined"}],
    )
    lab.wait()
    (event,) = events_seen("alerts")
    decoded = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    judge(
        "integrations-024",
        {
            "Base64-decode event['awslogs']['data'], gunzip it": (
                decoded["logGroup"],
                decoded["logStream"],
                [e["message"] for e in decoded["logEvents"]],
            )
            == ("/shop/app", "web-1", ["ERROR card declined"]),
            "Read event['Records'][i]['body']": "Records" in event,
            "The event is plain text": not isinstance(event, dict),
        },
    )


# -- API Gateway -----------------------------------------------------------------------------
def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@verifies("integrations-026")
def test_a_proxy_integration_needs_the_proxy_response_shape(lab):
    arn = deploy(lab, "api", "proxy")["FunctionArn"]
    apigw = boto3.client("apigateway")
    api_id = apigw.create_rest_api(name="shop")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
    apigw.put_method(
        restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType="NONE"
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations",
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    allow(arn, "apigateway.amazonaws.com", f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}/*")
    base = lab.api_url(api_id, "prod") + "/orders"
    status, body = http_get(base)
    by_shape = {shape: http_get(f"{base}?shape={shape}")[0] for shape in ("plain", "text", "data")}
    judge(
        "integrations-026",
        {
            "{'statusCode': ..., 'headers'": (status, json.loads(body)) == (201, {"order": "1001"}),
            "Any JSON object; API Gateway wraps it": by_shape["plain"] == 200,
            "A plain string": by_shape["text"] == 200,
            "{'status': ..., 'data'": by_shape["data"] == 200,
        },
    )


# -- configuration and deployment ------------------------------------------------------------
@verifies("configuration-008")
def test_writing_past_ephemeral_storage(lab, lam):
    size_mb = int(fact("ephemeral_storage.min_mb").value)
    deploy(lab, "writer", "fill_tmp", timeout_s=30, EphemeralStorage={"Size": size_mb})
    _, too_much = invoke(lam, "writer", {"mb": size_mb + 16})
    listing = lam.get_function_configuration(FunctionName="writer")["EphemeralStorage"]
    lam.update_function_configuration(FunctionName="writer", EphemeralStorage={"Size": 2 * size_mb})
    _, after = invoke(lam, "writer", {"mb": size_mb + 16})
    judge(
        "configuration-008",
        {
            "The write fails with an OSError (no space left on device)": too_much["errno"]
            == "ENOSPC"
            and after["errno"] is None,
            "Lambda grows /tmp automatically": too_much["errno"] is None
            or listing["Size"] != size_mb,
            "silently truncated": too_much["errno"] is None,
        },
    )


@verifies("configuration-012")
def test_environment_variables_over_the_limit_are_refused(lab, lam):
    deploy(lab, "configured", "record", env={"STAGE": "test"})
    limit = int(fact("environment.max_kb").value) * 1024
    too_big = {f"VAR_{n}": "x" * 1000 for n in range(limit // 1000 + 1)}
    try:
        lam.update_function_configuration(
            FunctionName="configured", Environment={"Variables": too_big}
        )
        error = None
    except ClientError as caught:
        error = caught.response["Error"]
    kept = lam.get_function_configuration(FunctionName="configured")["Environment"]["Variables"]
    judge(
        "configuration-012",
        {
            "rejected with an InvalidParameterValueException": error is not None
            and error["Code"] == "InvalidParameterValueException"
            and "exceed" in error["Message"].lower()
            and kept == {"STAGE": "test"},
            "keeps the first variables and drops the rest": error is None and kept != too_big,
            "The update succeeds and the function fails at runtime": error is None,
        },
    )


@verifies("configuration-030")
def test_what_helps_against_out_of_memory(lab, lam):
    small = int(fact("memory.default_mb").value)
    data = {"mb": small, "how": "memory"}
    deploy(lab, "hog", "use_memory", memory_mb=small, timeout_s=10)
    _, first = invoke(lam, "hog", data)
    out_of_memory = first.get("errorType") == "Runtime.OutOfMemory"
    lam.update_function_configuration(FunctionName="hog", Timeout=20)
    _, longer = invoke(lam, "hog", data)
    _, chunks = invoke(lam, "hog", {**data, "how": "chunks"})
    _, spilled = invoke(lam, "hog", {**data, "how": "tmp"})
    lam.update_function_configuration(FunctionName="hog", MemorySize=4 * small)
    _, bigger = invoke(lam, "hog", data)
    judge(
        "configuration-030",
        {
            "Raise the memory setting": out_of_memory and bigger == small,
            "Process data in streams or chunks": out_of_memory and chunks == small,
            "Raise the timeout": not (
                isinstance(longer, dict) and longer.get("errorType") == "Runtime.OutOfMemory"
            ),
            "Move large temporary files from memory to /tmp": out_of_memory and spilled == small,
        },
    )


@verifies("deployment-024")
def test_the_handler_setting_names_file_and_function(lab, lam, tmp_path):
    app = tmp_path / "app.py"
    app.write_text("def lambda_handler(event, context):\n    return 'ran'\n")
    q = question("deployment-024")
    works = {}
    for setting in q.choices:
        try:
            lab.deploy("named", app, handler=setting)
        except ClientError:
            works[setting] = False  # refused at deployment
            continue
        _, answer = invoke(lam, "named")
        works[setting] = answer == "ran"
    judge("deployment-024", works)


@verifies("configuration-016", "configuration-029", "deployment-010")
def test_versions_and_aliases(lab, lam):
    deploy(lab, "shop", "version_says", env={"VERSION_TEXT": "first"})
    v1 = lam.publish_version(FunctionName="shop")
    lam.update_function_configuration(
        FunctionName="shop", Environment={"Variables": {"VERSION_TEXT": "second"}}
    )
    v2 = lam.publish_version(FunctionName="shop")
    lam.update_function_configuration(
        FunctionName="shop", Environment={"Variables": {"VERSION_TEXT": "third"}}
    )

    def ran(qualifier: str) -> tuple[str, str]:
        response, answer = invoke(lam, "shop", Qualifier=qualifier)
        return response["ExecutedVersion"], answer

    judge(
        "configuration-016",
        {
            "immutable snapshot": ran(v1["Version"]) == (v1["Version"], "first")
            and v1["FunctionArn"].endswith(f":{v1['Version']}")
            and ran("$LATEST") == ("$LATEST", "third"),
            "Copies $LATEST, which keeps changing": ran(v1["Version"])[1] == "third",
            "Creates an alias named after the version": bool(
                lam.list_aliases(FunctionName="shop")["Aliases"]
            ),
        },
    )
    lam.create_alias(FunctionName="shop", Name="prod", FunctionVersion=v1["Version"])
    before = ran("prod")
    lam.update_alias(FunctionName="shop", Name="prod", FunctionVersion=v2["Version"])
    moved = ran("prod")
    judge(
        "configuration-029",
        {
            "ExecutedVersion field of the Invoke response": (before[0], moved[0])
            == (v1["Version"], v2["Version"]),
            "It cannot be known": before[0] == moved[0],
        },
    )
    lab.deploy("shop", SCENARIOS, handler="scenarios.version_says", env={"VERSION_TEXT": "fix"})
    after_reupload = ran("prod")
    lam.update_alias(FunctionName="shop", Name="prod", FunctionVersion=v1["Version"])
    judge(
        "deployment-010",
        {
            "Point the prod alias back": ran("prod") == (v1["Version"], "first"),
            "Re-upload the old code to $LATEST": after_reupload[1] == "fix",
        },
    )


# -- the record of what is verified ----------------------------------------------------------
def test_at_least_30_lab_verified_questions_have_a_test():
    tests = {name for name, value in globals().items() if name.startswith("test_")}
    for qid, test in VERIFIED.items():
        assert question(qid).lab_verified, f"{qid} is verified here but has no lab_verified text"
        assert test in tests
    assert len(VERIFIED) >= 30, f"only {len(VERIFIED)} lab_verified questions have a test"


def test_the_bank_marks_exactly_the_verified_questions():
    marked = {qid: q.verified_by for qid, q in QUESTIONS.items() if q.verified_by}
    assert marked == {qid: f"{THIS_FILE}::{test}" for qid, test in VERIFIED.items()}

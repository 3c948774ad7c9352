"""Checks for the integrations exercises: each wires the learner's code to a real trigger.

A check deploys the learner's handler in the lab, connects it to the trigger the question is
about (an SQS mapping with a dead-letter queue, an S3 bucket, an EventBridge rule, a Cognito
user pool, a REST API over HTTP, a DynamoDB stream), makes that trigger fire with good and bad
inputs, and judges what really happened. Each check prints one verdict line, never the answer.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import textwrap
import uuid
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

import course.lab
from course.facts import fact
from course.grading import hints
from course.grading.checks import answered, handler_code, report
from course.lab.triggers import catalog
from course.lessons import integrations as wire

hint = hints.for_lesson("04")

NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)
SEEN = "l04-check-seen"  # where the checks' wrapper stores what the learner's function saw

# The exercises' own scenario values (not AWS facts).
Q1_MAX_RECEIVES = 2
Q1_ORDERS = {"o-1": 2, "o-2": 0, "o-3": 5, "o-4": -1, "o-5": 1, "o-6": 3}  # order -> quantity
Q2_BUCKET = "l04-q2-photos"
Q2_FUNCTION = "l04-q2-thumbnails"
Q2_INSIDE = ("uploads/a.jpg", "uploads/2026/b.jpg")
Q2_OUTSIDE = ("uploads/c.png", "archive/d.jpg", "e.jpg", "uploads.jpg")
Q3_EVENTS = (  # (source, detail-type, total, should match)
    ("com.example.shop", "Order Placed", 250, True),
    ("com.example.shop", "Order Placed", 100, True),
    ("com.example.shop", "Order Placed", 99.5, False),
    ("com.example.shop", "Order Cancelled", 300, False),
    ("com.example.other", "Order Placed", 500, False),
)
Q4_ALLOWED = ("ana", "ana@example.edu")
Q4_FORBIDDEN = ("eve", "eve@example.com")
Q5_TABLE = "l04-q5-items"
Q5_ITEMS = ({"id": "1", "name": "green tea"}, {"id": "2", "name": "coffee"})
Q6_BATCH_SIZE = 3
Q7_SOURCES = ("S3", "SQS", "Kinesis", "REST API", "EventBridge rules", "Cognito")
Q7_FUNCTION = "l04-q7-fails"
Q8_MESSAGES = (  # (kind, amount or None, should reach the big-refunds queue)
    ("refund", 250, True),
    ("refund", 100, True),
    ("refund", 99.5, False),
    ("sale", 300, False),
    ("Refund", 500, False),
    ("refund", None, False),
)

# Deployed next to the learner's app.py: stores each event and what the handler did with it.
_WRAPPER = """
import json, os, time
import boto3
import app

_s3 = boto3.client("s3")


def _save(record, context):
    key = f"{os.environ['CHECK_PREFIX']}/{time.time_ns():020d}-{context.aws_request_id}"
    _s3.put_object(Bucket=os.environ["CHECK_SEEN"], Key=key, Body=json.dumps(record, default=str))


def handler(event, context):
    try:
        result = app.handler(event, context)
    except Exception as error:
        _save({"event": event, "error": repr(error)}, context)
        raise
    _save({"event": event, "result": result}, context)
    return result
"""


def _lambda() -> Any:
    course.lab.start()
    return boto3.client("lambda", config=NO_RETRY)


def _remove(name: str) -> None:
    """Delete function `name` and its event source mappings, if they exist."""
    client = _lambda()
    for mapping in client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
        client.delete_event_source_mapping(UUID=mapping["UUID"])
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_function(FunctionName=name)


def deploy_wrapped(name: str, source: str, allow: tuple[dict, ...] = ()) -> str:
    """Deploy the learner's module behind the recording wrapper as a new function; its ARN.

    Its least-privilege role lets the wrapper write what it saw, plus the `allow` statements
    the question's handler needs.
    """
    lab = course.lab.start()
    _remove(name)
    s3 = boto3.client("s3")
    if SEEN not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=SEEN)
    seen(name)  # forget what an earlier run recorded
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "app.py").write_text(textwrap.dedent(source).strip() + "\n")
        Path(folder, "check_wrapper.py").write_text(_WRAPPER)
        env = {"CHECK_SEEN": SEEN, "CHECK_PREFIX": name}
        wrapper = {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{SEEN}/{name}/*",
        }
        policy = {"Version": "2012-10-17", "Statement": [wrapper, *allow]}
        role = lab.execution_role(f"{name}-role", policy)
        config = lab.deploy(name, Path(folder), handler="check_wrapper.handler", env=env, role=role)
    return config["FunctionArn"]


def seen(name: str) -> list[dict]:
    """What the wrapped function `name` saw since the last call: {event, result or error}."""
    s3 = boto3.client("s3")
    listing = s3.list_objects_v2(Bucket=SEEN, Prefix=f"{name}/")
    keys = sorted(item["Key"] for item in listing.get("Contents", []))
    records = [json.loads(s3.get_object(Bucket=SEEN, Key=k)["Body"].read()) for k in keys]
    for key in keys:
        s3.delete_object(Bucket=SEEN, Key=key)
    return records


def _first_error(records: list[dict]) -> str | None:
    return next((r["error"] for r in records if "error" in r), None)


# -- Q1 --------------------------------------------------------------------------------------
def q1_bad_orders() -> list[str]:
    """Q1: the orders whose quantity is not positive (the ones to report as failures)."""
    return sorted(order for order, quantity in Q1_ORDERS.items() if quantity <= 0)


def check_q1(sqs_source: object) -> None:
    """Map an SQS queue with a DLQ to the handler; only the bad messages may be retried."""
    checked = (
        f"{len(Q1_ORDERS)} orders through an SQS mapping with ReportBatchItemFailures and a "
        f"dead-letter queue after {Q1_MAX_RECEIVES} receives"
    )
    code = handler_code("Q1", sqs_source, "sqs_source")
    if code is None:
        return
    lab = course.lab.start()
    name = "l04-q1-orders"
    arn = deploy_wrapped(name, code)
    run = uuid.uuid4().hex[:8]  # a fresh queue per run: earlier runs leave nothing behind
    q = wire.queue_with_dlq(f"{name}-{run}", Q1_MAX_RECEIVES, VisibilityTimeout="0")
    bodies = [json.dumps({"order": o, "quantity": n}) for o, n in Q1_ORDERS.items()]
    wire.send(q["url"], *bodies)
    _lambda().create_event_source_mapping(
        EventSourceArn=q["arn"],
        FunctionName=arn,
        BatchSize=len(bodies),
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    lab.wait()
    records = seen(name)
    delivered: dict[str, int] = {}
    for record in records:
        for message in record["event"]["Records"]:
            order = json.loads(message["body"])["order"]
            delivered[order] = delivered.get(order, 0) + 1
    in_dlq = sorted(json.loads(body)["order"] for body in wire.drain(q["dlq_url"]))
    bad = q1_bad_orders()
    good_once = all(delivered.get(o) == 1 for o in Q1_ORDERS if o not in bad)
    if _first_error(records):
        problem = f"your function raised {_first_error(records)}: a raise retries the whole batch."
    elif not good_once:
        problem = "good orders were delivered more than once."
    else:
        problem = "the dead-letter queue does not hold exactly the orders that cannot be processed."
    report("Q1", good_once and in_dlq == bad, checked, problem)


# -- Q2 --------------------------------------------------------------------------------------
def deploy_q2_function() -> str:
    """Q2 set-up: deploy the thumbnail function (a recorder); return its ARN."""
    return wire.recorder(course.lab.start(), Q2_FUNCTION, bucket=SEEN).arn


def check_q2(bucket_name: object) -> None:
    """Upload keys inside and outside uploads/*.jpg; only the inside ones may invoke."""
    checked = (
        f"{len(Q2_INSIDE) + len(Q2_OUTSIDE)} uploads to the bucket, "
        f"{len(Q2_INSIDE)} of them under uploads/ ending in .jpg"
    )
    if not answered("Q2", bucket_name, "bucket_name"):
        return
    lab, s3 = course.lab.start(), boto3.client("s3")
    try:
        s3.head_bucket(Bucket=str(bucket_name))
    except s3.exceptions.ClientError:
        return report("Q2", False, checked, f"create the bucket {bucket_name!r} first.")
    lab.wait()
    recorder = wire.Recorder(Q2_FUNCTION, SEEN)
    recorder.take()  # forget the learner's own test uploads
    for key in Q2_INSIDE + Q2_OUTSIDE:
        s3.put_object(Bucket=str(bucket_name), Key=key, Body=b"not really a photo")
    lab.wait()
    keys = sorted(r["s3"]["object"]["key"] for e in recorder.take() for r in e["Records"])
    if not keys:
        problem = "no invocation: S3 does not send this bucket's new objects to the function."
    else:
        problem = f"{len(keys)} upload(s) invoked the function; {len(Q2_INSIDE)} should."
    report("Q2", keys == sorted(Q2_INSIDE), checked, problem)


# -- Q3 --------------------------------------------------------------------------------------
def check_q3(pattern: object) -> None:
    """Put matching and non-matching events on a rule with the learner's pattern."""
    checked = f"{len(Q3_EVENTS)} events put on a rule with your pattern"
    if not answered("Q3", pattern, "pattern"):
        return
    lab, events = course.lab.start(), boto3.client("events")
    target = wire.recorder(lab, "l04-q3-big-orders", bucket=SEEN)
    target.take()
    try:
        rule = events.put_rule(Name="l04-q3-big-orders", EventPattern=json.dumps(pattern))
    except (TypeError, events.exceptions.ClientError) as error:
        return report("Q3", False, checked, f"EventBridge refused the pattern: {error}")
    wire.allow(target.arn, "events.amazonaws.com", rule["RuleArn"])
    events.put_targets(Rule="l04-q3-big-orders", Targets=[{"Id": "fn", "Arn": target.arn}])
    entries = [
        {"Source": s, "DetailType": t, "Detail": json.dumps({"id": n, "total": total})}
        for n, (s, t, total, _) in enumerate(Q3_EVENTS)
    ]
    events.put_events(Entries=entries)
    lab.wait()
    events.remove_targets(Rule="l04-q3-big-orders", Ids=["fn"])
    events.delete_rule(Name="l04-q3-big-orders")
    got = sorted(e["detail"]["id"] for e in target.take())
    wanted = [n for n, event in enumerate(Q3_EVENTS) if event[3]]
    problem = f"{len(got)} of them reached the function; {len(wanted)} should."
    report("Q3", got == wanted, checked, problem)


# -- Q4 --------------------------------------------------------------------------------------
def check_q4(presignup_source: object) -> None:
    """Sign up an allowed and a forbidden user in a pool that runs the learner's PreSignUp."""
    checked = "an allowed and a forbidden sign-up in a user pool with your PreSignUp trigger"
    code = handler_code("Q4", presignup_source, "presignup_source")
    if code is None:
        return
    arn = deploy_wrapped("l04-q4-gate", code)
    idp = boto3.client("cognito-idp")
    pool_id, client_id = wire.user_pool(f"l04-q4-{uuid.uuid4().hex[:8]}", PreSignUp=arn)
    outcomes = {}
    for username, email in (Q4_ALLOWED, Q4_FORBIDDEN):
        try:
            wire.sign_up(client_id, username, email)
            outcomes[username] = "signed up"
        except idp.exceptions.ClientError as error:
            outcomes[username] = error.response["Error"]["Code"]
    idp.delete_user_pool(UserPoolId=pool_id)
    wanted = {Q4_ALLOWED[0]: "signed up", Q4_FORBIDDEN[0]: "UserLambdaValidationException"}
    problem = ", ".join(
        f"{user} {'was refused' if outcome != 'signed up' else 'signed up'}"
        for user, outcome in outcomes.items()
        if outcome != wanted[user]
    )
    report("Q4", outcomes == wanted, checked, f"{problem}." if problem else "")


# -- Q5 --------------------------------------------------------------------------------------
def create_q5_table() -> str:
    """Q5 set-up: the items table (key `id`, a string) with the exercise's items; its name."""
    dynamodb = boto3.client("dynamodb")
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(
            TableName=Q5_TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    for item in Q5_ITEMS:
        dynamodb.put_item(TableName=Q5_TABLE, Item={k: {"S": v} for k, v in item.items()})
    return Q5_TABLE


def q5_requests() -> list[tuple[str, int, Any]]:
    """Q5: (path, expected status, expected JSON body or None) for each request the check makes."""
    known = Q5_ITEMS[0]
    return [
        (f"items/{known['id']}", 200, known),
        ("items/42", 404, None),
        ("items/tea", 400, None),
    ]


def check_q5(api_source: object) -> None:
    """Serve the learner's handler at GET /items/{id} and call it over HTTP."""
    checked = "GET /items/{id} over HTTP for a known id, an unknown id and a bad id"
    code = handler_code("Q5", api_source, "api_source")
    if code is None:
        return
    lab = course.lab.start()
    create_q5_table()
    table_arn = f"arn:aws:dynamodb:{course.lab.REGION}:{course.lab.ACCOUNT_ID}:table/{Q5_TABLE}"
    read = {
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": table_arn,
    }
    arn = deploy_wrapped("l04-q5-items", code, allow=(read,))
    base = wire.proxy_api(lab, "l04-q5-shop", arn, "items/{id}", "GET")
    got = []
    for path, _, _ in q5_requests():
        status, _, body = wire.http(f"{base}/{path}")
        try:
            got.append((status, json.loads(body)))
        except ValueError:
            got.append((status, None))
    statuses = [status for status, _ in got]
    wanted = [status for _, status, _ in q5_requests()]
    if 502 in statuses:
        error = _first_error(seen("l04-q5-items"))
        problem = (
            f"API Gateway answered 502: your function failed ({error}) or returned no statusCode."
        )
        return report("Q5", False, checked, problem)
    right = statuses == wanted and got[0][1] == q5_requests()[0][2]
    if statuses != wanted:
        problem = f"the status codes were {statuses}."
    else:
        problem = "the status codes are right, but the known item's body is not its JSON."
    report("Q5", right, checked, problem)


# -- Q6 --------------------------------------------------------------------------------------
def q6_expected(event: dict) -> dict[str, int]:
    """Q6: the INSERT and MODIFY counts of one DynamoDB Streams batch."""
    names = [record["eventName"] for record in event["Records"]]
    return {"INSERT": names.count("INSERT"), "MODIFY": names.count("MODIFY")}


def check_q6(stream_source: object) -> None:
    """Map a table's stream to the handler; each batch's answer must count its own records."""
    checked = f"the answers to every batch of a DynamoDB stream (BatchSize {Q6_BATCH_SIZE})"
    code = handler_code("Q6", stream_source, "stream_source")
    if code is None:
        return
    lab, dynamodb = course.lab.start(), boto3.client("dynamodb")
    name = "l04-q6-counter"
    arn = deploy_wrapped(name, code)
    table = f"l04-q6-{uuid.uuid4().hex[:8]}"
    stream = wire.stream_table(table)
    _lambda().create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=Q6_BATCH_SIZE,
        MaximumRetryAttempts=0,  # a failing handler must not block the shard forever
    )
    for n, state in ((1, "new"), (2, "new"), (1, "paid"), (3, "new"), (2, "paid"), (1, "sent")):
        item = {"id": {"N": str(n)}, "state": {"S": state}}
        dynamodb.put_item(TableName=table, Item=item)
    dynamodb.delete_item(TableName=table, Key={"id": {"N": "3"}})
    lab.wait()
    records = seen(name)
    dynamodb.delete_table(TableName=table)
    if _first_error(records):
        return report("Q6", False, checked, f"your function raised {_first_error(records)}.")
    right = bool(records) and all(r.get("result") == q6_expected(r["event"]) for r in records)
    wrong = sum(r.get("result") != q6_expected(r["event"]) for r in records)
    problem = f"{wrong} of {len(records)} batch answers did not count that batch's own records."
    report("Q6", right, checked, problem if records else "no batch reached the function.")


# -- Q7 --------------------------------------------------------------------------------------
def expected_q7() -> dict[str, str]:
    """Q7: each source's invocation model, from the course's sources table."""
    return {name: catalog.source(name).invocation for name in Q7_SOURCES}


def async_attempts() -> int:
    """Q7: how many times Lambda runs a failing async event by default (from the facts file)."""
    return 1 + int(fact("async.max_retry_attempts").value)


def check_q7(models: object, attempts: object) -> None:
    """Compare the models with the sources table; count the attempts of a failing async event."""
    checked = (
        f"the invocation model of {len(Q7_SOURCES)} sources, and the attempts of a failing "
        "asynchronous invocation, counted in the lab"
    )
    if not answered("Q7", models, "models") or not answered("Q7", attempts, "attempts"):
        return
    if not isinstance(models, dict) or any(v is ... for v in models.values()):
        return report("Q7", False, checked, "fill in every `...` in `models`.")
    given = {k: str(v).strip().lower() for k, v in models.items()}
    right = sum(given.get(name) == model for name, model in expected_q7().items())
    lab = course.lab.start()
    source = 'def handler(event, context):\n    raise RuntimeError("always fails")\n'
    _remove(Q7_FUNCTION)
    lab.deploy(Q7_FUNCTION, source)
    before = len(lab.invocations)
    _lambda().invoke(FunctionName=Q7_FUNCTION, InvocationType="Event", Payload=b"{}")
    lab.wait()
    counted = sum(i.function == Q7_FUNCTION for i in lab.invocations[before:])
    if right < len(Q7_SOURCES):
        problem = f"{right} of {len(Q7_SOURCES)} models are right; use sync, async or poller."
        return report("Q7", False, checked, problem)
    problem = f"the lab counted a different number of attempts than `attempts` ({attempts})."
    report("Q7", attempts == counted == async_attempts(), checked, problem)


# -- Q8 --------------------------------------------------------------------------------------
def check_q8(filter_policy: object) -> None:
    """Fan a topic out to an audit queue and a queue with the learner's filter policy."""
    checked = f"{len(Q8_MESSAGES)} messages published to a topic with two subscribed queues"
    if not answered("Q8", filter_policy, "filter_policy"):
        return
    if not isinstance(filter_policy, dict):
        return report("Q8", False, checked, "a filter policy is a dict of attribute names.")
    course.lab.start()
    sns, sqs, run = boto3.client("sns"), boto3.client("sqs"), uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"l04-q8-orders-{run}")["TopicArn"]
    audit = wire.fan_out(topic, f"l04-q8-audit-{run}")
    try:
        big = wire.fan_out(topic, f"l04-q8-big-refunds-{run}", filter_policy)
    except sns.exceptions.ClientError as error:
        sns.delete_topic(TopicArn=topic)
        message = " ".join(error.response["Error"]["Message"].split())
        return report("Q8", False, checked, f"SNS refused the filter policy: {message}")
    for number, (kind, amount, _) in enumerate(Q8_MESSAGES):
        attributes = {"kind": kind} if amount is None else {"kind": kind, "amount": amount}
        wire.publish(topic, str(number), **attributes)
    reached, everything = wire.drain(big), wire.drain(audit)
    sns.delete_topic(TopicArn=topic)
    for url in (audit, big):
        sqs.delete_queue(QueueUrl=url)
    wanted = [str(n) for n, message in enumerate(Q8_MESSAGES) if message[2]]
    if len(everything) != len(Q8_MESSAGES):
        problem = "the audit queue, which has no filter, did not get every message."
        return report("Q8", False, checked, problem)
    right = sum((str(n) in reached) == message[2] for n, message in enumerate(Q8_MESSAGES))
    problem = f"the filter sorted {right} of {len(Q8_MESSAGES)} messages the right way."
    report("Q8", sorted(reached) == wanted, checked, problem)

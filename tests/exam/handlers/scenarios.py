"""Handlers for the lab-verified exam questions. Each says what it saw in its own log.

Lines starting with EVENT hold the whole event as JSON and lines starting with DELIVERY name
one SQS record, so the tests read back what happened through CloudWatch Logs.
"""

import errno
import json
import os
import tempfile
import time
import uuid

import boto3

STATE = {"calls": 0}  # module level: survives warm invocations of one environment
# Which environment answered: made once per init. Not os.getpid(): each environment has its
# own PID namespace, where the runtime is pid 1 in every one of them.
ENVIRONMENT_ID = uuid.uuid4().hex
print("INIT scenarios")  # module-level code: runs once per execution environment


def record(event, context):
    """Log the event; answer Cognito with the event and others with a short reply."""
    print("EVENT " + json.dumps(event))
    if "triggerSource" in event:
        return event
    return {"seen": True}


def fail(event, context):
    """Log the event, then fail every time."""
    print("EVENT " + json.dumps(event))
    raise RuntimeError("this event cannot be processed")


def sqs_batch(event, context):
    """Log each record; bodies listed in FAIL fail on their first delivery only.

    With REPORT=partial the failures come back in batchItemFailures, otherwise one failure
    fails the whole batch with an exception.
    """
    failing = set(os.environ.get("FAIL", "").split(","))
    failed = []
    for item in event["Records"]:
        print(f"DELIVERY {item['body']}")
        if item["body"] in failing and item["attributes"]["ApproximateReceiveCount"] == "1":
            failed.append(item["messageId"])
    if os.environ.get("REPORT") == "partial":
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
    if failed:
        raise RuntimeError(f"{len(failed)} record(s) failed")
    return {"processed": len(event["Records"])}


def charge_once(event, context):
    """Do each payment once: a conditional put on the id (attribute KEY) guards the effect."""
    table, key = boto3.client("dynamodb"), os.environ["KEY"]
    records = event.get("Records") or [{"body": json.dumps(event)}]
    done = []
    for item in records:
        payment = json.loads(item["body"])[key]
        try:
            table.put_item(
                TableName=os.environ["TABLE"],
                Item={key: {"S": payment}},
                ConditionExpression=f"attribute_not_exists({key})",
            )
        except table.exceptions.ConditionalCheckFailedException:
            print(f"SKIPPED {payment}")
            done.append("skipped")
            continue
        print(f"CHARGED {payment}")
        done.append("charged")
    return done


def count_without_condition(event, context):
    """The naive write: add one to the order's counter every time the event is processed."""
    boto3.client("dynamodb").update_item(
        TableName=os.environ["TABLE"],
        Key={os.environ["KEY"]: {"S": event["id"]}},
        UpdateExpression="ADD processed :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def sleep(event, context):
    """Sleep event['seconds'] seconds."""
    time.sleep(event.get("seconds", 0))
    return "woke up"


def fill_tmp(event, context):
    """Write event['mb'] MB to /tmp; return the errno of a failed write (None when it fit)."""
    path = os.path.join(tempfile.gettempdir(), "big.bin")
    try:
        with open(path, "wb") as file:
            for _ in range(event["mb"]):
                file.write(bytes(1024 * 1024))
    except OSError as error:
        return {"errno": errno.errorcode.get(error.errno, error.errno)}
    finally:
        if os.path.exists(path):
            os.remove(path)
    return {"errno": None}


def use_memory(event, context):
    """Handle event['mb'] MB of data: all in memory, in 8 MB chunks, or through a /tmp file."""
    total, chunk = event["mb"], 8
    if event["how"] == "memory":
        blocks = [bytearray(1024 * 1024) for _ in range(total)]
        for block in blocks:
            block[::4096] = b"x" * len(block[::4096])
        time.sleep(event.get("hold_s", 0))
        return len(blocks)
    if event["how"] == "chunks":
        done = 0
        for _ in range(0, total, chunk):
            block = bytearray(chunk * 1024 * 1024)
            block[::4096] = b"x" * len(block[::4096])
            done += chunk
        return done
    path = os.path.join(tempfile.gettempdir(), "spill.bin")
    with open(path, "wb") as file:
        for _ in range(total):
            file.write(bytes(1024 * 1024))
    os.remove(path)
    return total


def environment(event, context):
    """What this environment remembers: module-level calls, a /tmp file, its process."""
    STATE["calls"] += 1
    marker = os.path.join(tempfile.gettempdir(), "marker.txt")
    before = None
    if os.path.exists(marker):
        with open(marker) as file:
            before = file.read()
    with open(marker, "w") as file:
        file.write(context.aws_request_id)
    time.sleep(event.get("seconds", 0))
    return {
        "calls": STATE["calls"],
        "tmp_before": before,
        "pid": ENVIRONMENT_ID,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def raise_value_error(event, context):
    """Fail synchronously with an uncaught ValueError."""
    print("RAN")
    raise ValueError("bad input")


def proxy(event, context):
    """An API Gateway proxy handler; ?shape=plain, text or data answer in other shapes."""
    shape = (event.get("queryStringParameters") or {}).get("shape")
    if shape == "plain":
        return {"order": "1001", "status": "shipped"}
    if shape == "text":
        return "order 1001 shipped"
    if shape == "data":
        return {"status": 200, "data": {"order": "1001"}}
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"order": "1001"}),
    }


def thumbnail(event, context):
    """Write a thumbnail for each upload into the bucket and prefix in OUTPUT."""
    s3 = boto3.client("s3")
    for item in event["Records"]:
        key = item["s3"]["object"]["key"]
        name = key.rsplit("/", 1)[-1]
        output = f"{os.environ['OUTPUT']}thumb-{name}"
        s3.put_object(Bucket=item["s3"]["bucket"]["name"], Key=output, Body=b"t")


def version_says(event, context):
    """Answer with the VERSION_TEXT environment variable (changes between code versions)."""
    return os.environ.get("VERSION_TEXT", "")

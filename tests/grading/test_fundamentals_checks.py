"""Each Lambda fundamentals check says 'not yet' to the placeholder and to a plausible wrong
answer, and 'correct' to the right one: the learner's code really runs in the lab."""

import boto3
import pytest

from course.grading.checks import fundamentals as checks

Q1_RIGHT = """
import json
def handler(event, context):
    body = {"path": event["path"], "method": event["httpMethod"]}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body)}
"""
Q1_WRONG = Q1_RIGHT.replace("json.dumps(body)", "body")  # a dict body: API Gateway rejects it

Q2_RIGHT = """
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    return {"buckets": len(s3.list_buckets()["Buckets"])}
"""
Q2_WRONG = """
import boto3
def handler(event, context):
    s3 = boto3.client("s3")
    return {"buckets": len(s3.list_buckets()["Buckets"])}
"""

Q3_RIGHT = """
import time
def handler(event, context):
    done = 0
    for item in event["items"]:
        if context.get_remaining_time_in_millis() < 200:
            break
        time.sleep(event["step_ms"] / 1000)
        done += 1
    return {"done": done, "left": len(event["items"]) - done}
"""
Q3_WRONG = Q3_RIGHT.replace("< 200", "< 0")  # never stops early: the invocation times out
# Its own clock instead of the context: stops after 0.7 s whatever the function's timeout.
Q3_OWN_CLOCK = """
import time
def handler(event, context):
    start, done = time.monotonic(), 0
    for item in event["items"]:
        if time.monotonic() - start > 0.7:
            break
        time.sleep(event["step_ms"] / 1000)
        done += 1
    return {"done": done, "left": len(event["items"]) - done}
"""

Q5_RIGHT = """
import os
def handler(event, context):
    return {"message": f"{os.environ['GREETING']}, {event['name']}!"}
"""
Q5_WRONG = Q5_RIGHT.replace("{os.environ['GREETING']}", "Hola")


def q6_right(line):
    fields = dict(part.split(": ", 1) for part in line.split("\t")[1:])
    return {
        "billed_ms": int(fields["Billed Duration"].split()[0]),
        "memory_mb": int(fields["Memory Size"].split()[0]),
        "max_memory_used_mb": int(fields["Max Memory Used"].split()[0]),
        "cold": "Init Duration" in fields,
    }


def q6_wrong(line):
    """A plausible slip: every line has a Duration, so every call looks cold."""
    fields = dict(part.split(": ", 1) for part in line.split("\t")[1:])
    return {**q6_right(line), "cold": "Duration" in fields}


Q7_RIGHT = """
import urllib.parse
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    record = event["Records"][0]["s3"]
    key = urllib.parse.unquote_plus(record["object"]["key"])
    body = s3.get_object(Bucket=record["bucket"]["name"], Key=key)["Body"].read()
    return {"key": key, "size": len(body)}
"""
Q7_WRONG = Q7_RIGHT.replace(
    'urllib.parse.unquote_plus(record["object"]["key"])', 'record["object"]["key"]'
)


pytestmark = pytest.mark.usefixtures("lab")  # the shared lab, wiped after each test


CASES = [
    ("Q1", checks.check_q1, Q1_WRONG, Q1_RIGHT),
    ("Q2", checks.check_q2, Q2_WRONG, Q2_RIGHT),
    ("Q3", checks.check_q3, Q3_WRONG, Q3_RIGHT),
    ("Q5", checks.check_q5, Q5_WRONG, Q5_RIGHT),
    ("Q6", checks.check_q6, q6_wrong, q6_right),
    ("Q7", checks.check_q7, Q7_WRONG, Q7_RIGHT),
]


@pytest.mark.parametrize("question, check, wrong, right", CASES, ids=[c[0] for c in CASES])
def test_check_fails_on_placeholder_and_wrong_answer_and_passes_on_the_right_one(
    verdict, question, check, wrong, right
):
    assert verdict(check, ...).startswith(f"{question} not yet: ")
    assert verdict(check, wrong).startswith(f"{question} not yet: ")
    assert verdict(check, right).startswith(f"{question} correct: ")


def test_q1_says_what_is_wrong_without_the_answer(verdict):
    line = verdict(checks.check_q1, Q1_WRONG)
    assert "`body` is not a string" in line and "json.dumps" not in line
    assert 'hint("Q1")' in line


def test_q2_says_the_client_was_made_during_an_invocation(verdict):
    assert "created during an invocation" in verdict(checks.check_q2, Q2_WRONG)


def test_q3_wrong_answer_is_a_real_timeout(verdict):
    assert "Sandbox.Timedout" in verdict(checks.check_q3, Q3_WRONG)


def test_q3_fails_a_handler_that_keeps_its_own_clock_instead_of_reading_the_context(verdict):
    line = verdict(checks.check_q3, Q3_OWN_CLOCK)
    assert line.startswith("Q3 not yet: ")
    assert "does not go by the time its context says is left" in line


def test_q3_q7_source_must_be_code(verdict):
    assert "Python code that defines `handler`" in verdict(checks.check_q3, 42)
    assert "Python code that defines `handler`" in verdict(checks.check_q7, "print('hi')\n")


def test_a_function_name_without_a_handler_cell_is_not_yet(verdict):
    line = verdict(checks.check_q1, "never-defined")
    assert "not in the lab yet: run its `%%handler never-defined` cell first" in line


def test_q6_names_the_wrong_fields_and_calls(verdict):
    line = verdict(checks.check_q6, q6_wrong)
    assert line.endswith('These were wrong: cold (warm call). For a hint, run hint("Q6").')
    assert "not a dict" in verdict(checks.check_q6, lambda line: line)
    assert "should be a function" in verdict(checks.check_q6, "REPORT")


def make_queue(name):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def test_q4_dead_letter_queue(verdict, lab):
    url, arn = make_queue("q4-dlq")
    assert "run the cell that deploys it" in verdict(checks.check_q4, url)
    name = checks.deploy_q4_function()
    assert verdict(checks.check_q4, ...).startswith("Q4 not yet: ")
    assert "QueueUrl" in verdict(checks.check_q4, "not a queue")
    # Wrong: the queue exists but the function does not send failures to it.
    assert "dead-letter queue of q4-orders is not the queue" in verdict(checks.check_q4, url)
    boto3.client("lambda").update_function_configuration(
        FunctionName=name, DeadLetterConfig={"TargetArn": arn}
    )
    assert verdict(checks.check_q4, url).startswith("Q4 correct: ")
    failed = [i for i in lab.invocations if i.function == name]
    assert failed and all(i.outcome == "error" for i in failed)

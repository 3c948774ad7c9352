"""Each integrations check says 'not yet' to the placeholder and to a plausible wrong answer, and
'correct' to the right one: the learner's code really runs behind a real trigger in the lab."""

import json

import boto3
import pytest

from course.grading.checks import integrations as checks

Q1_RIGHT = """
import json
def handler(event, context):
    bad = [r for r in event["Records"] if json.loads(r["body"])["quantity"] <= 0]
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in bad]}
"""
Q1_WRONG = """
import json
def handler(event, context):
    for record in event["Records"]:
        if json.loads(record["body"])["quantity"] <= 0:
            raise ValueError("bad order")
"""

Q3_RIGHT = {
    "source": ["com.example.shop"],
    "detail-type": ["Order Placed"],
    "detail": {"total": [{"numeric": [">=", 100]}]},
}
Q3_WRONG = {"source": ["com.example.shop"], "detail-type": ["Order Placed"]}

Q4_RIGHT = """
def handler(event, context):
    if not event["request"]["userAttributes"]["email"].endswith("@example.edu"):
        raise Exception("Only example.edu addresses may sign up")
    return event
"""
Q4_WRONG = Q4_RIGHT.replace("@example.edu", "example.com")  # the rule backwards

Q5_RIGHT = """
import json
import boto3
table = boto3.resource("dynamodb").Table("l04-q5-items")
def handler(event, context):
    item_id = event["pathParameters"]["id"]
    if not item_id.isdigit():
        return {"statusCode": 400, "body": json.dumps({"message": "bad id"})}
    item = table.get_item(Key={"id": item_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"message": "not found"})}
    return {"statusCode": 200, "body": json.dumps(item)}
"""
Q5_WRONG = Q5_RIGHT.replace('"statusCode": 400', '"statusCode": 404')  # bad input is not 404

Q6_RIGHT = """
def handler(event, context):
    names = [r["eventName"] for r in event["Records"]]
    return {"INSERT": names.count("INSERT"), "MODIFY": names.count("MODIFY")}
"""
Q6_WRONG = """
def handler(event, context):
    names = [r["eventName"] for r in event["Records"]]
    return {"INSERT": len(names) - names.count("MODIFY"), "MODIFY": names.count("MODIFY")}
"""  # counts REMOVE records as inserts

Q7_RIGHT = {
    "S3": "async",
    "SQS": "poller",
    "Kinesis": "poller",
    "REST API": "sync",
    "EventBridge rules": "async",
    "Cognito": "sync",
}

Q8_RIGHT = {"kind": ["refund"], "amount": [{"numeric": [">=", 100]}]}
Q8_WRONG = {"kind": ["refund"], "amount": [{"numeric": [">", 100]}]}  # misses exactly 100


CASES = [
    ("Q1", checks.check_q1, Q1_WRONG, Q1_RIGHT),
    ("Q3", checks.check_q3, Q3_WRONG, Q3_RIGHT),
    ("Q4", checks.check_q4, Q4_WRONG, Q4_RIGHT),
    ("Q5", checks.check_q5, Q5_WRONG, Q5_RIGHT),
    ("Q6", checks.check_q6, Q6_WRONG, Q6_RIGHT),
    ("Q8", checks.check_q8, Q8_WRONG, Q8_RIGHT),
]


@pytest.mark.parametrize("question, check, wrong, right", CASES, ids=[c[0] for c in CASES])
def test_check_fails_on_placeholder_and_wrong_answer_and_passes_on_the_right_one(
    verdict, lab, question, check, wrong, right
):
    assert verdict(check, ...).startswith(f"{question} not yet: ")
    assert verdict(check, wrong).startswith(f"{question} not yet: ")
    assert verdict(check, right).startswith(f"{question} correct: ")


def test_q1_says_a_raise_retries_the_whole_batch(verdict, lab):
    assert "retries the whole batch" in verdict(checks.check_q1, Q1_WRONG)


def test_q1_a_partial_answer_without_the_bad_ones_is_not_enough(verdict, lab):
    lazy = "def handler(event, context):\n    return {'batchItemFailures': []}\n"
    assert "dead-letter queue does not hold exactly" in verdict(checks.check_q1, lazy)


def configure_q2(filtered: bool) -> str:
    """Q2 as a learner would do it: bucket, permission, notification (filtered or not)."""
    arn = checks.deploy_q2_function()
    boto3.client("s3").create_bucket(Bucket=checks.Q2_BUCKET)
    boto3.client("lambda").add_permission(
        FunctionName=arn,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{checks.Q2_BUCKET}",
    )
    rules = [{"Name": "prefix", "Value": "uploads/"}, {"Name": "suffix", "Value": ".jpg"}]
    config = {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
    if filtered:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=checks.Q2_BUCKET,
        NotificationConfiguration={"LambdaFunctionConfigurations": [config]},
    )
    return checks.Q2_BUCKET


def test_q2_counts_invocations_inside_and_outside_the_filter(verdict, lab):
    assert verdict(checks.check_q2, ...).startswith("Q2 not yet: ")
    assert "Create the bucket" in verdict(checks.check_q2, "l04-q2-missing")
    line = verdict(checks.check_q2, configure_q2(filtered=False))
    assert line.startswith("Q2 not yet: ") and "6 upload(s) invoked" in line
    assert verdict(checks.check_q2, configure_q2(filtered=True)).startswith("Q2 correct")


def test_q2_without_a_notification_says_no_invocation(verdict, lab):
    checks.deploy_q2_function()
    boto3.client("s3").create_bucket(Bucket=checks.Q2_BUCKET)
    assert "No invocation" in verdict(checks.check_q2, checks.Q2_BUCKET)


def test_q3_an_invalid_pattern_is_refused_by_eventbridge(verdict, lab):
    line = verdict(checks.check_q3, {"source": "com.example.shop"})
    assert line.startswith("Q3 not yet: ") and "refused the pattern" in line


def test_q5_a_crashing_handler_is_a_502(verdict, lab):
    crash = "def handler(event, context):\n    raise KeyError('id')\n"
    assert "502" in verdict(checks.check_q5, crash)


def test_q7_models_from_the_catalog_and_attempts_counted_in_the_lab(verdict, lab):
    assert checks.expected_q7() == Q7_RIGHT
    attempts = checks.async_attempts()
    assert verdict(checks.check_q7, ..., attempts).startswith("Q7 not yet: ")
    assert "Fill in every" in verdict(checks.check_q7, {"S3": ...}, attempts)
    line = verdict(checks.check_q7, {**Q7_RIGHT, "SQS": "async"}, attempts)
    assert "5 of 6 models are right" in line and "SQS" not in line
    assert verdict(checks.check_q7, Q7_RIGHT, 1).startswith("Q7 not yet: ")
    assert verdict(checks.check_q7, Q7_RIGHT, attempts).startswith("Q7 correct: ")
    failed = [i.outcome for i in lab.invocations if i.function == checks.Q7_FUNCTION]
    assert failed[-attempts:] == ["error"] * attempts


def test_q6_expected_counts_follow_the_batch():
    event = {"Records": [{"eventName": n} for n in ("INSERT", "MODIFY", "REMOVE", "INSERT")]}
    assert checks.q6_expected(event) == {"INSERT": 2, "MODIFY": 1}
    assert json.dumps(checks.q1_bad_orders()) == json.dumps(
        sorted(o for o, n in checks.Q1_ORDERS.items() if n <= 0)
    )


def test_q8_a_policy_without_the_amount_lets_small_refunds_through(verdict, lab):
    line = verdict(checks.check_q8, {"kind": ["refund"]})
    assert line.startswith("Q8 not yet: ") and "sorted 4 of 6 messages" in line


def test_q8_an_invalid_policy_is_refused_by_sns(verdict, lab):
    line = verdict(checks.check_q8, {"amount": [{"numeric": ["about", 100]}]})
    assert line.startswith("Q8 not yet: ") and "SNS refused the filter policy" in line

"""Each serverless concepts check says 'not yet' to the placeholder and to a plausible wrong
answer, and 'correct' to the right one; Q4-Q6 really run the learner's code in the lab."""

import boto3
import pytest

import course.lab
from course.grading.checks import concepts as checks
from course.lessons import services

Q1_RIGHT = {
    name: services.workloads()[i].fit
    for i, name in zip(checks.Q1_WORKLOADS, checks.q1_workloads(), strict=True)
}
Q1_WRONG = dict.fromkeys(Q1_RIGHT, "good")  # "serverless fits everything"
Q2_RIGHT = {
    "Sign users up and log them in": "Cognito",
    "Run several steps in order, with retries and branches": "Step Functions",
    "Keep uploaded photos": "S3",
    "Push one message to many subscribers": "SNS",
    "A relational database whose capacity follows the load": "Aurora Serverless",
}
Q2_WRONG = {**Q2_RIGHT, "Push one message to many subscribers": "SQS"}
Q3_RIGHT = {
    "S3 event notifications": "asynchronous",
    "API Gateway": "synchronous",
    "Cognito triggers": "synchronous",
    "SQS": "event source mapping",
    "SNS": "asynchronous",
}
Q3_WRONG = {**Q3_RIGHT, "Cognito triggers": "asynchronous"}
Q2_FULL_NAMES = {
    **Q2_RIGHT,
    "Keep uploaded photos": "Amazon Simple Storage Service",
    "Push one message to many subscribers": "Simple Notification Service",
    "Sign users up and log them in": "Amazon Cognito user pools",
}


def q4_permission(**scope):
    """The learner's answer: add S3 to the Q4 function's resource-based policy."""
    return boto3.client("lambda").add_permission(
        FunctionName=checks.deploy_q4_function(),
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        **scope,
    )


def q5_notification(arn, **filters):
    config = {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
    if filters:
        rules = [{"Name": k, "Value": v} for k, v in filters.items()]
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return {"LambdaFunctionConfigurations": [config]}


Q6_RIGHT = """
import json, os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
def handler(event, context):
    sub = event["requestContext"]["authorizer"]["claims"]["sub"]
    item = table.get_item(Key={"user_id": sub})["Item"]
    return {"statusCode": 200, "body": json.dumps(item)}
"""
Q6_WRONG = Q6_RIGHT.replace("json.dumps(item)", "item")  # a dict body: API Gateway says 502


pytestmark = pytest.mark.usefixtures("lab")  # the shared lab, wiped after each test


CASES = [
    ("Q1", checks.check_q1, Q1_WRONG, Q1_RIGHT),
    ("Q2", checks.check_q2, Q2_WRONG, Q2_RIGHT),
    ("Q3", checks.check_q3, Q3_WRONG, Q3_RIGHT),
    ("Q6", checks.check_q6, Q6_WRONG, Q6_RIGHT),
]


@pytest.mark.parametrize("question, check, wrong, right", CASES, ids=[c[0] for c in CASES])
def test_check_fails_on_placeholder_and_wrong_answer_and_passes_on_the_right_one(
    verdict, question, check, wrong, right
):
    assert verdict(check, ...).startswith(f"{question} not yet: ")
    assert verdict(check, wrong).startswith(f"{question} not yet: ")
    assert verdict(check, right).startswith(f"{question} correct: ")


def test_q5_no_filter_loops_and_a_prefix_filter_runs_once(verdict, lab):
    arn = checks.deploy_q5_function()
    assert verdict(checks.check_q5, ...).startswith("Q5 not yet: ")
    line = verdict(checks.check_q5, q5_notification(arn))
    assert line.startswith("Q5 not yet: ") and "ran 16 times" in line
    line = verdict(checks.check_q5, q5_notification(arn, prefix="thumbnails/"))
    assert "must still make its thumbnail" in line
    assert verdict(checks.check_q5, q5_notification(arn, prefix="uploads/")).startswith(
        "Q5 correct: "
    )
    assert verdict(checks.check_q5, q5_notification(arn, suffix=".png")).startswith("Q5 not yet: ")


def test_q2_accepts_aws_full_names(verdict):
    assert verdict(checks.check_q2, Q2_FULL_NAMES).startswith("Q2 correct: ")
    named = {
        **Q2_FULL_NAMES,
        "Push one message to many subscribers": "Amazon SNS (Simple Notification Service)",
    }
    assert verdict(checks.check_q2, named).startswith("Q2 correct: ")
    wrong = {**Q2_FULL_NAMES, "Push one message to many subscribers": "Simple Queue Service"}
    assert verdict(checks.check_q2, wrong).startswith("Q2 not yet: ")


def test_q4_needs_the_function_deployed(verdict):
    # No set-up cell has run: the function does not exist yet.
    assert "run the set-up cell first" in verdict(checks.check_q4, {"Statement": "{}"})


def test_q4_no_permission_is_refused_by_s3(verdict):
    checks.deploy_q4_function()
    assert verdict(checks.check_q4, ...).startswith("Q4 not yet: ")
    line = verdict(checks.check_q4, {})
    assert "S3 refused to send lesson01-q4-photos's events" in line


def test_q4_a_permission_for_any_bucket_is_not_yet(verdict):
    line = verdict(checks.check_q4, q4_permission())
    assert "not limited to one bucket" in line


def test_q4_a_permission_for_the_wrong_bucket_is_not_yet(verdict):
    line = verdict(checks.check_q4, q4_permission(SourceArn=f"arn:aws:s3:::{checks.Q4_OTHER}"))
    assert line.startswith("Q4 not yet: ") and "S3 refused" in line


def test_q4_a_permission_for_the_one_bucket_is_correct(verdict):
    answer = q4_permission(
        SourceArn=f"arn:aws:s3:::{checks.Q4_BUCKET}", SourceAccount=course.lab.ACCOUNT_ID
    )
    assert verdict(checks.check_q4, answer).startswith("Q4 correct: ")


def test_table_checks_count_without_naming_the_answer(verdict):
    line = verdict(checks.check_q2, Q2_WRONG)
    assert "4 of 5 are right" in line and "SNS" not in line
    assert "Fill in every" in verdict(checks.check_q3, {"SQS": ...})


def test_q6_a_dict_body_is_a_502(verdict):
    assert "got HTTP 502, not 200" in verdict(checks.check_q6, Q6_WRONG)

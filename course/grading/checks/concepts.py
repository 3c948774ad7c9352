"""Checks for the serverless concepts exercises (lesson 01).

Tables are judged against `course.lessons.services` and the facts file (a service may be
named by its short or its full name); the rest by what really happens in the lab: S3 is asked
to send two buckets' events to a function whose resource-based policy the learner wrote, the
S3 notification is applied to a real bucket and an image uploaded, and the API handler serves
a real signed-in user over HTTP. Each check prints one verdict line, never the answer.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Callable
from typing import Any

import boto3

import course.lab
from course.grading import hints
from course.grading.checks import answered, handler_code, report
from course.lessons import architectures, services

hint = hints.for_lesson("01")

# The exercises' own scenario values (not AWS facts).
Q1_WORKLOADS = (0, 1, 4, 6, 8)  # indexes into services.workloads()
Q2_NEEDS = {
    "Sign users up and log them in": "Amazon Cognito",
    "Run several steps in order, with retries and branches": "AWS Step Functions",
    "Keep uploaded photos": "Amazon S3",
    "Push one message to many subscribers": "Amazon SNS",
    "A relational database whose capacity follows the load": "Amazon Aurora Serverless",
}
Q3_SERVICES = ("S3 event notifications", "API Gateway", "Cognito triggers", "SQS", "SNS")
Q4_FUNCTION = "lesson01-q4-resize"
Q4_BUCKET = "lesson01-q4-photos"
Q4_OTHER = "lesson01-q4-other"
Q5_BUCKET = "lesson01-q5-photos"
Q5_FUNCTION = "lesson01-q5-thumbnail"
Q5_PREFIX = "thumbnails/"
Q5_KEY = "uploads/q5-photo.png"
Q6_USER = ("q6-ada", "Correct-Horse-9", "ada@example.com")


def _table_answer(
    question: str,
    given: object,
    name: str,
    expected: dict[str, str],
    same: Callable[[object, str], bool] | None = None,
) -> None:
    """Compare a {item: answer} table with `expected`, counting right answers."""
    same = same or _same
    checked = f"your answers for the {len(expected)} items of `{name}`"
    if not answered(question, given, name):
        return
    if not isinstance(given, dict) or any(given.get(k, ...) is ... for k in expected):
        return report(question, False, checked, f"fill in every `...` in `{name}`.")
    right = sum(same(given[k], v) for k, v in expected.items())
    report(question, right == len(expected), checked, f"{right} of {len(expected)} are right.")


def _same(given: object, wanted: str) -> bool:
    """Answers match ignoring case, underscores and an 'AWS'/'Amazon' prefix."""

    def plain(text: object) -> str:
        words = str(text).strip().lower().replace("_", " ").split()
        return " ".join(w for w in words if w not in ("aws", "amazon"))

    return plain(given) == plain(wanted)


# -- Q1-Q3: tables -------------------------------------------------------------------------
def q1_workloads() -> list[str]:
    """Q1: the workloads to classify."""
    return [services.workloads()[i].name for i in Q1_WORKLOADS]


def check_q1(fits: object) -> None:
    """Compare the learner's good/poor fits with course.services."""
    expected = {w.name: w.fit for w in services.workloads() if w.name in q1_workloads()}
    _table_answer("Q1", fits, "fits", expected)


def check_q2(needs: object) -> None:
    """Compare the learner's service for each need with the serverless family table."""
    _table_answer("Q2", needs, "needs", Q2_NEEDS, services.same_service)


def check_q3(models: object) -> None:
    """Compare the learner's invocation models with the facts file."""
    expected = {s: services.invocation_model(s) for s in Q3_SERVICES}
    _table_answer("Q3", models, "models", expected)


# -- Q4: who may invoke the function -----------------------------------------------------
def deploy_q4_function() -> str:
    """Q4 set-up: a function with no resource-based policy yet, and two buckets."""
    lab, client = course.lab.start(), boto3.client("lambda")
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_function(FunctionName=Q4_FUNCTION)  # a fresh, empty policy on each run
    lab.deploy(Q4_FUNCTION, "def handler(event, context):\n    return len(event['Records'])\n")
    s3 = boto3.client("s3")
    for bucket in (Q4_BUCKET, Q4_OTHER):
        s3.create_bucket(Bucket=bucket)
    return Q4_FUNCTION


def _s3_accepts(bucket: str, function_arn: str) -> bool:
    """Whether S3 accepts sending `bucket`'s new objects to the function (then undone)."""
    s3 = boto3.client("s3")
    config = {"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}
    try:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [config]}
        )
    except s3.exceptions.ClientError:
        return False
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    return True


def check_q4(permission: object) -> None:
    """Ask S3 to send two buckets' events to the function: only the first may be accepted."""
    checked = f"S3 notifications from {Q4_BUCKET} (to accept) and {Q4_OTHER} (to refuse)"
    if not answered("Q4", permission, "permission"):
        return
    client = boto3.client("lambda")
    try:
        arn = client.get_function_configuration(FunctionName=Q4_FUNCTION)["FunctionArn"]
    except client.exceptions.ResourceNotFoundException:
        problem = f"function {Q4_FUNCTION} does not exist: run the set-up cell first."
        return report("Q4", False, checked, problem)
    if not _s3_accepts(Q4_BUCKET, arn):
        problem = (
            f"S3 refused to send {Q4_BUCKET}'s events: the function's resource-based policy "
            "does not let S3 invoke it for that bucket."
        )
        return report("Q4", False, checked, problem)
    if _s3_accepts(Q4_OTHER, arn):
        problem = f"S3 accepted {Q4_OTHER} too: your permission is not limited to one bucket."
        return report("Q4", False, checked, problem)
    report("Q4", True, checked)


# -- Q5: the recursive trap ----------------------------------------------------------------
def deploy_q5_function() -> str:
    """Q5 set-up: a thumbnail function writing into its own bucket under thumbnails/."""
    architectures.create_storage(Q5_BUCKET, Q5_BUCKET)
    arn = architectures.deploy_thumbnail_function(Q5_FUNCTION, Q5_BUCKET, Q5_BUCKET, Q5_PREFIX)
    architectures.allow_s3(Q5_FUNCTION, Q5_BUCKET)
    return arn


def check_q5(notification: object) -> None:
    """Apply the learner's notification, upload one image, require exactly one invocation."""
    checked = f"one upload to {Q5_KEY} with your notification configuration"
    if not answered("Q5", notification, "notification"):
        return
    lab, s3 = course.lab.start(), boto3.client("s3")
    try:
        s3.put_bucket_notification_configuration(
            Bucket=Q5_BUCKET, NotificationConfiguration=notification
        )
    except Exception as error:  # noqa: BLE001 - S3's own error is the hint
        problem = f"S3 refused it ({error}); run the set-up cell first."
        return report("Q5", False, checked, problem)
    before, dropped = len(lab.invocations), len(lab.dropped_events)
    architectures.upload(Q5_KEY, architectures.sample_image(), Q5_BUCKET)
    runs = [i for i in lab.invocations[before:] if i.function == Q5_FUNCTION]
    made = Q5_PREFIX + Q5_KEY in architectures.keys(Q5_BUCKET)
    s3.put_bucket_notification_configuration(Bucket=Q5_BUCKET, NotificationConfiguration={})
    _remove_thumbnails(s3)
    if not runs or not made:
        return report("Q5", False, checked, "the upload must still make its thumbnail.")
    problem = f"the function ran {len(runs)} times for one upload: its own writes trigger it again."
    right = len(runs) == 1 and len(lab.dropped_events) == dropped
    report("Q5", right, checked, problem)


def _remove_thumbnails(s3: Any) -> None:
    """Delete what the Q5 check wrote, so that it can run again from the same start."""
    for key in architectures.keys(Q5_BUCKET):
        s3.delete_object(Bucket=Q5_BUCKET, Key=key)


# -- Q6: the users API's handler -----------------------------------------------------------
def check_q6(api_source: object) -> None:
    """Build the users API with the learner's handler; a signed-in user must get their profile."""
    checked = "GET /me over HTTP for a signed-in user, and without a token"
    code = handler_code("Q6", api_source, "api_source")
    if code is None:
        return
    api = architectures.build_users_api(textwrap.dedent(code).strip() + "\n")
    architectures.sign_up(api, *Q6_USER)
    token = architectures.log_in(api, *Q6_USER[:2])
    status, body = architectures.call(api.url, token)
    profile = _profile(api.pool_id, Q6_USER[0])
    if architectures.call(api.url)[0] != 401:
        return report("Q6", False, checked, "a call without a token should get 401.")
    if status != 200:
        problem = f"a signed-in user got HTTP {status}, not 200."
    else:
        problem = "the body is not the user's item from the users table."
    report("Q6", (status, body) == (200, profile), checked, problem)


def _profile(pool_id: str, username: str) -> dict | None:
    """The users table's item for a user of the pool (keyed by their `sub`)."""
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    table = boto3.resource("dynamodb").Table(architectures.USERS_TABLE)
    return table.get_item(Key={"user_id": sub}).get("Item")

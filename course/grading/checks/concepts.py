"""Checks for the serverless concepts exercises (lesson 01).

Tables are judged against `course.services` and the facts file; code is judged by running
it: the thumbnail size function is called, the S3 notification is applied to a real bucket
in the lab and an image uploaded, and the API handler serves a real signed-in user over HTTP.
Each check prints one verdict line and never the answer.
"""

from __future__ import annotations

import textwrap
from typing import Any

import boto3

import course.lab
from course.grading.checks import answered, report
from course.lessons import architectures, services
from course.lessons.handlers.thumbnail.sizing import thumbnail_size

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
Q4_SIZES = ((640, 400), (400, 640), (100, 60), (1000, 1000), (3000, 7))
Q5_BUCKET = "lesson01-q5-photos"
Q5_FUNCTION = "lesson01-q5-thumbnail"
Q5_PREFIX = "thumbnails/"
Q5_KEY = "uploads/q5-photo.png"
Q6_USER = ("q6-ada", "Correct-Horse-9", "ada@example.com")


def _table_answer(question: str, given: object, name: str, expected: dict[str, str]) -> None:
    """Compare a {item: answer} table with `expected`, counting right answers."""
    checked = f"your answers for the {len(expected)} items of `{name}`"
    if not answered(question, given, name):
        return
    if not isinstance(given, dict) or any(given.get(k, ...) is ... for k in expected):
        return report(question, False, checked, f"fill in every `...` in `{name}`.")
    right = sum(_same(given[k], v) for k, v in expected.items())
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
    _table_answer("Q2", needs, "needs", Q2_NEEDS)


def check_q3(models: object) -> None:
    """Compare the learner's invocation models with the facts file."""
    expected = {s: services.invocation_model(s) for s in Q3_SERVICES}
    _table_answer("Q3", models, "models", expected)


# -- Q4: thumbnail size --------------------------------------------------------------------
def check_q4(size: object) -> None:
    """Call the learner's size function on several images, compare with the pipeline's."""
    checked = (
        f"your function on {len(Q4_SIZES)} image sizes with max_side {architectures.MAX_SIDE_PX}"
    )
    if not answered("Q4", size, "thumbnail_size"):
        return
    if not callable(size):
        return report("Q4", False, checked, "`thumbnail_size` should be a function.")
    wrong = 0
    for width, height in Q4_SIZES:
        wanted = thumbnail_size(width, height, architectures.MAX_SIDE_PX)
        try:
            got = tuple(size(width, height, architectures.MAX_SIDE_PX))
        except Exception:  # noqa: BLE001 - any failure counts as a wrong answer
            got = None
        wrong += got != wanted
    hint = f"{wrong} size(s) differ; keep the aspect ratio, round, and never enlarge."
    report("Q4", wrong == 0, checked, hint)


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
        hint = f"S3 refused it: {error}. Run the set-up cell first."
        return report("Q5", False, checked, hint)
    before, dropped = len(lab.invocations), len(lab.dropped_events)
    architectures.upload(Q5_KEY, architectures.sample_image(), Q5_BUCKET)
    runs = [i for i in lab.invocations[before:] if i.function == Q5_FUNCTION]
    made = Q5_PREFIX + Q5_KEY in architectures.keys(Q5_BUCKET)
    s3.put_bucket_notification_configuration(Bucket=Q5_BUCKET, NotificationConfiguration={})
    _remove_thumbnails(s3)
    if not runs or not made:
        return report("Q5", False, checked, "the upload must still make its thumbnail.")
    hint = f"the function ran {len(runs)} times for one upload: its own writes trigger it again."
    right = len(runs) == 1 and len(lab.dropped_events) == dropped
    report("Q5", right, checked, hint)


def _remove_thumbnails(s3: Any) -> None:
    """Delete what the Q5 check wrote, so that it can run again from the same start."""
    for key in architectures.keys(Q5_BUCKET):
        s3.delete_object(Bucket=Q5_BUCKET, Key=key)


# -- Q6: the users API's handler -----------------------------------------------------------
def check_q6(api_source: object) -> None:
    """Build the users API with the learner's handler; a signed-in user must get their profile."""
    checked = "GET /me over HTTP for a signed-in user, and without a token"
    if not answered("Q6", api_source, "api_source"):
        return
    if not isinstance(api_source, str) or "def handler" not in api_source:
        hint = "put your module's code, with `def handler`, between triple quotes."
        return report("Q6", False, checked, hint)
    api = architectures.build_users_api(textwrap.dedent(api_source).strip() + "\n")
    architectures.sign_up(api, *Q6_USER)
    token = architectures.log_in(api, *Q6_USER[:2])
    status, body = architectures.call(api.url, token)
    profile = _profile(api.pool_id, Q6_USER[0])
    if architectures.call(api.url)[0] != 401:
        return report("Q6", False, checked, "a call without a token should get 401.")
    hint = f"got HTTP {status}; return statusCode 200 and the item as a JSON string body."
    report("Q6", (status, body) == (200, profile), checked, hint)


def _profile(pool_id: str, username: str) -> dict | None:
    """The users table's item for a user of the pool (keyed by their `sub`)."""
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    table = boto3.resource("dynamodb").Table(architectures.USERS_TABLE)
    return table.get_item(Key={"user_id": sub}).get("Item")

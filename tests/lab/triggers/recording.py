"""The course's recorder function (course.integrations.RECORDER) and a reader for the tests."""

from __future__ import annotations

import json

import boto3

from course.lessons.integrations import RECORDER, recorder_role

SEEN_BUCKET = "seen-events"


def deploy_recorder(lab, name: str, mode: str = "ok", **settings) -> dict:
    """Deploy the recorder as function `name`; return its configuration."""
    s3 = boto3.client("s3")
    if SEEN_BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=SEEN_BUCKET)
    env = {"SEEN": SEEN_BUCKET, "MODE": mode, "PREFIX": "events"}  # one prefix: time order
    settings.setdefault("role", recorder_role(lab, name, SEEN_BUCKET, "events"))
    return lab.deploy(name, RECORDER, env=env, **settings)


def seen_events() -> list[dict]:
    """Every event the recorder got, oldest first."""
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=SEEN_BUCKET).get("Contents", [])]
    return [
        json.loads(s3.get_object(Bucket=SEEN_BUCKET, Key=k)["Body"].read()) for k in sorted(keys)
    ]


def writer_role(lab, name: str, bucket: str) -> str:
    """A least-privilege role for function `name`: it may only write objects into `bucket`."""
    statement = {
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return lab.execution_role(f"{name}-role", {"Version": "2012-10-17", "Statement": [statement]})


def allow(function: str, principal: str, source_arn: str, sid: str | None = None) -> None:
    """Let an AWS service invoke `function` for one source (its resource-based policy)."""
    boto3.client("lambda").add_permission(
        FunctionName=function,
        StatementId=sid or principal.split(".")[0],
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source_arn,
    )

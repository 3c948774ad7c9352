"""A denied call leaves one line in the function's CloudWatch log saying what is missing."""

import boto3

from .conftest import run, statement

PREFIX = "[lab IAM] Denied:"


def log_lines(name: str) -> list[str]:
    events = boto3.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    return [e["message"].rstrip("\n") for e in events]


def test_each_denied_call_is_explained_in_the_log(lab, caller):
    caller("reader", statement("s3:ListBucket", "arn:aws:s3:::open"))
    boto3.client("s3").create_bucket(Bucket="open")
    boto3.client("s3").create_bucket(Bucket="closed")
    results = run(
        "reader",
        ("s3", "list_objects_v2", {"Bucket": "open"}),
        ("s3", "get_object", {"Bucket": "closed", "Key": "k"}),
    )["results"]
    assert "ok" in results[0] and results[1]["code"] == "AccessDenied"
    lines = log_lines("reader")
    denied = [line for line in lines if line.startswith(PREFIX)]
    assert len(denied) == 1
    assert (
        "is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::closed/k"
        in (denied[0])
    )
    assert '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::closed/k"' in denied[0]
    end = next(i for i, line in enumerate(lines) if line.startswith("END RequestId"))
    assert lines.index(denied[0]) < end  # inside the invocation, before END


def test_no_line_when_nothing_was_denied_or_enforcement_is_off(lab, caller):
    caller("lister", statement("s3:ListAllMyBuckets", "*"))
    run("lister", ("s3", "list_buckets", {}))
    lab.enforce_iam = False
    try:
        run("lister", ("s3", "create_bucket", {"Bucket": "anything"}))
    finally:
        lab.enforce_iam = True
    assert not [line for line in log_lines("lister") if line.startswith(PREFIX)]

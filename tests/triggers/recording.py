"""A handler that records every event it gets in an S3 bucket, and a reader for the tests."""

from __future__ import annotations

import json

import boto3

SEEN_BUCKET = "seen-events"

# MODE=ok: succeed. MODE=fail: raise when any record mentions "boom".
# MODE=partial: report the records mentioning "bad" as batchItemFailures.
RECORDER = """
import base64, json, os, time
import boto3

s3 = boto3.client("s3")


def _text(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    return json.dumps(record)


def handler(event, context):
    key = f"{time.time_ns():020d}-{context.aws_request_id}"
    s3.put_object(Bucket=os.environ["SEEN"], Key=key, Body=json.dumps(event))
    records = event.get("Records", [])
    mode = os.environ.get("MODE", "ok")
    if mode == "fail" and any("boom" in _text(r) for r in records):
        raise RuntimeError("boom in the batch")
    if mode == "partial":
        failures = [
            {"itemIdentifier": r.get("messageId") or r.get("dynamodb", r.get("kinesis", {}))
             .get("SequenceNumber", r.get("kinesis", {}).get("sequenceNumber"))}
            for r in records if "bad" in _text(r)
        ]
        return {"batchItemFailures": failures}
    return {"records": len(records)}
"""


def deploy_recorder(lab, name: str, mode: str = "ok", **settings) -> dict:
    """Deploy the recorder as function `name`; return its configuration."""
    s3 = boto3.client("s3")
    if SEEN_BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=SEEN_BUCKET)
    env = {"SEEN": SEEN_BUCKET, "MODE": mode}
    return lab.deploy(name, RECORDER, env=env, **settings)


def seen_events() -> list[dict]:
    """Every event the recorder got, oldest first."""
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=SEEN_BUCKET).get("Contents", [])]
    return [
        json.loads(s3.get_object(Bucket=SEEN_BUCKET, Key=k)["Body"].read()) for k in sorted(keys)
    ]

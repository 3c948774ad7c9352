"""EventBridge rules really invoke Lambda targets: patterns on PutEvents, and schedules."""

from __future__ import annotations

import json
from datetime import datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from course.facts import fact
from course.lab import ACCOUNT_ID
from course.lab.events import assert_shaped_like
from course.lab.triggers.eventbridge import fire_times, parse_cron

from .recording import allow, writer_role

RECORDER = """
import json, os, boto3

def handler(event, context):
    if event.get("detail", {}).get("fail"):
        raise ValueError("order rejected")
    boto3.client("s3").put_object(
        Bucket=os.environ["BUCKET"], Key=context.aws_request_id, Body=json.dumps(event)
    )
    return "ok"
"""


def seen(bucket: str = "seen") -> list[dict]:
    """Every event the recorder handler stored, oldest first."""
    s3 = boto3.client("s3")
    objects = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    objects.sort(key=lambda o: o["LastModified"])
    return [json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in objects]


@pytest.fixture
def recorder(lab):
    boto3.client("s3").create_bucket(Bucket="seen")
    role = writer_role(lab, "recorder", "seen")
    arn = lab.deploy("recorder", RECORDER, env={"BUCKET": "seen"}, role=role)["FunctionArn"]
    allow(arn, "events.amazonaws.com", f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/*")
    return arn


@pytest.fixture
def events():
    return boto3.client("events")


def order(detail: dict, source: str = "com.example.orders") -> dict:
    return {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail)}


def test_a_matching_event_invokes_the_lambda_target_asynchronously(lab, recorder, events):
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["com.example.orders"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "fn", "Arn": recorder}])
    result = events.put_events(
        Entries=[order({"orderId": "1001"}), order({"orderId": "x"}, source="com.other")]
    )
    assert result["FailedEntryCount"] == 0
    lab.wait()
    (event,) = seen()
    assert_shaped_like(event, "eventbridge-custom-event")
    assert event["detail"] == {"orderId": "1001"}
    assert event["source"] == "com.example.orders"
    assert event["id"] == result["Entries"][0]["EventId"]
    assert event["time"] == lab.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [(i.function, i.invocation_type) for i in lab.invocations] == [("recorder", "Event")]


def test_input_and_input_transformer_shape_what_the_target_gets(lab, recorder, events):
    events.put_rule(Name="orders", EventPattern=json.dumps({"detail-type": ["Order Placed"]}))
    events.put_targets(
        Rule="orders",
        Targets=[
            {"Id": "const", "Arn": recorder, "Input": json.dumps({"fixed": 1})},
            {
                "Id": "shaped",
                "Arn": recorder,
                "InputTransformer": {
                    "InputPathsMap": {"id": "$.detail.orderId"},
                    "InputTemplate": '{"order": "<id>"}',
                },
            },
        ],
    )
    events.put_events(Entries=[order({"orderId": "7"})])
    lab.wait()
    assert sorted(json.dumps(e, sort_keys=True) for e in seen()) == [
        '{"fixed": 1}',
        '{"order": "7"}',
    ]


def test_a_failing_target_is_retried_then_dropped(lab, recorder, events):
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["com.example.orders"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "fn", "Arn": recorder}])
    events.put_events(Entries=[order({"fail": True})])
    lab.wait()
    attempts = 1 + int(fact("async.max_retry_attempts").value)
    assert [i.outcome for i in lab.invocations] == ["error"] * attempts
    (dropped,) = lab.dropped_events
    assert "RetriesExhausted" in dropped["reason"]
    assert json.loads(dropped["event"])["detail"] == {"fail": True}


def test_disabled_rules_and_missing_functions_invoke_nothing(lab, recorder, events):
    events.put_rule(
        Name="off", EventPattern=json.dumps({"source": ["com.example.orders"]}), State="DISABLED"
    )
    events.put_targets(Rule="off", Targets=[{"Id": "fn", "Arn": recorder}])
    events.put_rule(Name="gone", EventPattern=json.dumps({"source": ["com.example.orders"]}))
    events.put_targets(Rule="gone", Targets=[{"Id": "fn", "Arn": recorder + "-deleted"}])
    events.put_events(Entries=[order({"orderId": "1"})])
    lab.wait()
    assert lab.invocations == []
    (dropped,) = lab.dropped_events
    assert "does not exist" in dropped["reason"]


def test_other_targets_still_work_next_to_a_lambda_target(lab, recorder, events):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="audit")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["com.example.orders"]}))
    events.put_targets(
        Rule="orders", Targets=[{"Id": "fn", "Arn": recorder}, {"Id": "q", "Arn": queue_arn}]
    )
    events.put_events(Entries=[order({"orderId": "5"})])
    lab.wait()
    message = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert json.loads(message["Body"])["detail"] == {"orderId": "5"}
    assert len(seen()) == 1


def test_a_rate_schedule_fires_on_the_lab_clock_in_order(lab, recorder, events):
    events.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule="every5", Targets=[{"Id": "fn", "Arn": recorder}])
    start = lab.clock_s()
    events.put_events(Entries=[order({"orderId": "1"})])  # a schedule rule matches no events
    sent = lab.advance_time(16 * 60)
    assert lab.clock_s() == start + 16 * 60
    recorded = sorted(seen(), key=lambda e: e["time"])
    assert [e["id"] for e in recorded] == [e["id"] for e in sent]
    assert len(recorded) == 3
    for event in recorded:
        assert_shaped_like(event, "eventbridge-scheduled-event")
        assert event["resources"] == [events.describe_rule(Name="every5")["Arn"]]
    times = [datetime.fromisoformat(e["time"]).timestamp() for e in recorded]
    assert times == [start + 300, start + 600, start + 900]


def test_cron_schedules_fire_on_matching_minutes_only(lab, recorder, events):
    events.put_rule(Name="noon", ScheduleExpression="cron(0 12 * * ? *)")
    events.put_targets(Rule="noon", Targets=[{"Id": "fn", "Arn": recorder}])
    events.put_rule(Name="paused", ScheduleExpression="rate(1 minute)", State="DISABLED")
    events.put_targets(Rule="paused", Targets=[{"Id": "fn", "Arn": recorder}])
    lab.advance_time(2 * 86400)
    recorded = seen()
    assert len(recorded) == 2
    assert {e["time"][11:] for e in recorded} == {"12:00:00Z"}


def test_an_invalid_schedule_is_rejected_like_aws(lab, events):
    for expression in ("rate(0 minutes)", "cron(0 12 * * * *)", "cron(61 * * * ? *)"):
        with pytest.raises(ClientError) as caught:
            events.put_rule(Name="bad", ScheduleExpression=expression)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert "ScheduleExpression is not valid" in caught.value.response["Error"]["Message"]


def test_cron_parser_and_fire_times():
    assert parse_cron("cron(0/15 8-9 ? * MON-FRI *)")[0] == {0, 15, 30, 45}
    monday_8am = datetime.fromisoformat("2026-01-12T08:00:00+00:00").timestamp()
    times = fire_times("cron(0/15 8-9 ? * MON-FRI *)", 0, monday_8am - 1, monday_8am + 86399)
    assert len(times) == 8
    assert fire_times("rate(1 hour)", 100.0, 100.0, 100.0 + 3 * 3600) == [
        3700.0,
        7300.0,
        10900.0,
    ]

"""SQS event source mappings: a real poller with batches, windows, partial failures and redrive."""

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from course.facts import fact
from course.lab.events import assert_shaped_like

from .recording import deploy_recorder, seen_events


def make_queue(name, **attributes):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def send(url, *bodies, **extra):
    sqs = boto3.client("sqs")
    for i in range(0, len(bodies), 10):
        entries = [
            {"Id": str(n), "MessageBody": b, **extra} for n, b in enumerate(bodies[i : i + 10])
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def left_in(url):
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def bodies(event):
    return [r["body"] for r in event["Records"]]


def test_messages_arrive_in_batches_of_batch_size_and_are_deleted(lab):
    url, arn = make_queue("jobs")
    deploy_recorder(lab, "worker")
    send(url, *[f"job {n}" for n in range(7)])
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=3
    )
    lab.wait()
    events = seen_events()
    assert sorted(len(e["Records"]) for e in events) == [1, 3, 3]
    assert sorted(b for e in events for b in bodies(e)) == [f"job {n}" for n in range(7)]
    assert left_in(url) == 0
    assert [i.invocation_type for i in lab.invocations] == ["RequestResponse"] * 3


def test_event_has_real_attributes_and_message_attributes(lab):
    url, arn = make_queue("orders")
    deploy_recorder(lab, "worker")
    before_ms = int(time.time() * 1000)
    boto3.client("sqs").send_message(
        QueueUrl=url,
        MessageBody=json.dumps({"orderId": "1001"}),
        MessageAttributes={"Priority": {"DataType": "String", "StringValue": "high"}},
    )
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    lab.wait()
    (event,) = seen_events()
    assert_shaped_like(event, "sqs-receive-message")
    record = event["Records"][0]
    assert record["eventSourceARN"] == arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert int(record["attributes"]["SentTimestamp"]) >= before_ms - 1000
    assert record["messageAttributes"]["Priority"]["stringValue"] == "high"


def test_batching_window_gathers_messages_that_arrive_apart(lab):
    url, arn = make_queue("slow")
    deploy_recorder(lab, "worker")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=5, MaximumBatchingWindowInSeconds=1
    )
    send(url, "first")
    time.sleep(0.3)
    send(url, "second")
    lab.wait()
    assert [sorted(bodies(e)) for e in seen_events()] == [["first", "second"]]


def test_a_failed_batch_stays_then_goes_to_the_dead_letter_queue(lab):
    dlq_url, dlq_arn = make_queue("jobs-dlq")
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = make_queue("jobs", VisibilityTimeout="0", RedrivePolicy=policy)
    deploy_recorder(lab, "worker", mode="fail")
    send(url, "boom")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    lab.wait()
    counts = [e["Records"][0]["attributes"]["ApproximateReceiveCount"] for e in seen_events()]
    assert counts == ["1", "2"]  # each failure makes the message visible again
    assert [i.outcome for i in lab.invocations] == ["error", "error"]
    (moved,) = boto3.client("sqs").receive_message(QueueUrl=dlq_url)["Messages"]
    assert moved["Body"] == "boom"
    assert left_in(url) == 0


def test_a_failed_batch_is_not_deleted_before_the_visibility_timeout(lab):
    url, arn = make_queue("careful", VisibilityTimeout="30")
    deploy_recorder(lab, "worker", mode="fail")
    send(url, "boom", "fine")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    lab.wait()
    assert len(seen_events()) == 1
    assert left_in(url) == 2  # invisible for 30 s, not lost


def test_report_batch_item_failures_deletes_only_the_good_messages(lab):
    url, arn = make_queue("mixed", VisibilityTimeout="30")
    deploy_recorder(lab, "worker", mode="partial")
    send(url, "good 1", "bad 2", "good 3")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="worker",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    lab.wait()
    assert left_in(url) == 1
    (event,) = seen_events()
    assert sorted(bodies(event)) == ["bad 2", "good 1", "good 3"]


def test_without_report_batch_item_failures_a_partial_reply_counts_as_success(lab):
    url, arn = make_queue("naive", VisibilityTimeout="30")
    deploy_recorder(lab, "worker", mode="partial")
    send(url, "good 1", "bad 2")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    lab.wait()
    assert left_in(url) == 0


def test_disabled_mapping_does_not_poll_until_enabled(lab):
    url, arn = make_queue("paused")
    deploy_recorder(lab, "worker")
    lam = boto3.client("lambda")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", Enabled=False
    )["UUID"]
    send(url, "wait for me")
    lab.wait()
    assert lab.invocations == []
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    lab.wait()
    assert [bodies(e) for e in seen_events()] == [["wait for me"]]


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"BatchSize": int(fact("esm.sqs.batch_size_max").value) + 1}, "BatchSize"),
        ({"BatchSize": 11}, "Maximum batch window in seconds must be greater than 0"),
        (
            {"MaximumBatchingWindowInSeconds": int(fact("esm.batching_window_max_s").value) + 1},
            "MaximumBatchingWindowInSeconds",
        ),
        ({"FunctionResponseTypes": ["Everything"]}, "FunctionResponseTypes"),
    ],
)
def test_invalid_mapping_settings_are_refused_like_aws(lab, settings, words):
    _, arn = make_queue("strict")
    deploy_recorder(lab, "worker")
    with pytest.raises(ClientError) as caught:
        boto3.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName="worker", **settings
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert words in caught.value.response["Error"]["Message"]


def test_large_batch_with_a_window_is_accepted(lab):
    _, arn = make_queue("bulk")
    deploy_recorder(lab, "worker")
    mapping = boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=100, MaximumBatchingWindowInSeconds=1
    )
    assert mapping["BatchSize"] == 100

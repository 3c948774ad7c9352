"""SNS subscriptions (Protocol=lambda): async invokes with the real topic, subscription, fields."""

import json
from datetime import UTC, datetime

import boto3

from course.facts import fact
from course.lab.events import assert_shaped_like

from .recording import allow, deploy_recorder, seen_events


def subscribe(fn, **attributes):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    allow(fn["FunctionArn"], "sns.amazonaws.com", topic)
    sub = sns.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=fn["FunctionArn"], Attributes=attributes
    )["SubscriptionArn"]
    return sns, topic, sub


def test_publish_invokes_asynchronously_with_the_real_topic_and_attributes(lab):
    fn = deploy_recorder(lab, "reader")
    sns, topic, sub = subscribe(fn)
    before = datetime.now(UTC)
    message_id = sns.publish(
        TopicArn=topic,
        Message="hello",
        Subject="greeting",
        MessageAttributes={"Priority": {"DataType": "String", "StringValue": "high"}},
    )["MessageId"]
    lab.wait()
    assert [(i.function, i.invocation_type) for i in lab.invocations] == [("reader", "Event")]
    (event,) = seen_events()
    assert_shaped_like(event, "sns-notification")
    record = event["Records"][0]
    assert record["EventSubscriptionArn"] == sub
    message = record["Sns"]
    assert (message["TopicArn"], message["MessageId"]) == (topic, message_id)
    assert (message["Subject"], message["Message"]) == ("greeting", "hello")
    assert message["MessageAttributes"] == {"Priority": {"Type": "String", "Value": "high"}}
    sent = datetime.fromisoformat(message["Timestamp"].replace("Z", "+00:00"))
    assert abs((sent - before).total_seconds()) < 60


def test_no_subject_is_null_and_no_attributes_is_empty(lab):
    fn = deploy_recorder(lab, "reader")
    sns, topic, _ = subscribe(fn)
    sns.publish(TopicArn=topic, Message=json.dumps({"id": 1}))
    lab.wait()
    (event,) = seen_events()
    assert_shaped_like(event, "sns-notification")
    assert event["Records"][0]["Sns"]["Subject"] is None
    assert event["Records"][0]["Sns"]["MessageAttributes"] == {}


def test_filter_policy_decides_which_messages_reach_the_function(lab):
    fn = deploy_recorder(lab, "urgent-only")
    sns, topic, _ = subscribe(fn, FilterPolicy=json.dumps({"Priority": ["high"]}))
    for priority in ("low", "high"):
        sns.publish(
            TopicArn=topic,
            Message=priority,
            MessageAttributes={"Priority": {"DataType": "String", "StringValue": priority}},
        )
    lab.wait()
    assert [e["Records"][0]["Sns"]["Message"] for e in seen_events()] == ["high"]


def test_failures_are_retried_then_recorded_as_dropped(lab):
    fn = deploy_recorder(lab, "fragile", mode="fail")
    sns, topic, _ = subscribe(fn)
    sns.publish(TopicArn=topic, Message="boom")  # Publish itself succeeds
    lab.wait()
    attempts = 1 + int(fact("async.max_retry_attempts").value)
    assert [i.outcome for i in lab.invocations] == ["error"] * attempts
    (dropped,) = lab.dropped_events
    assert "RetriesExhausted" in dropped["reason"]

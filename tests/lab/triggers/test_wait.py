"""lab.wait() that gives up says what is still pending and why it may never finish."""

import boto3
import pytest

FAIL = "def handler(event, context):\n    raise RuntimeError('cannot process')\n"
SLOW = "import time\n\ndef handler(event, context):\n    time.sleep(1)\n"


def test_sqs_message_failing_forever_without_a_dlq_is_named(lab):
    lab.deploy("always-fails", FAIL)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="stuck", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.send_message(QueueUrl=url, MessageBody="job")
    lam = boto3.client("lambda")
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="always-fails")
    with pytest.raises(TimeoutError) as caught:
        lab.wait(timeout=1)  # lab.reset() after the test ends the poller
    message = str(caught.value)
    assert "SQS queue stuck still holds 1 message(s) for function always-fails" in message
    assert mapping["UUID"] in message
    assert "no redrive policy" in message
    assert "visibility timeout (0 s)" in message
    assert "function always-fails failed" in message
    assert "(last error: RuntimeError)" in message


def test_stream_batch_retried_forever_is_named(lab):
    lab.deploy("always-fails", FAIL)
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    kinesis.put_record(StreamName="clicks", Data=b"click", PartitionKey="k")
    lam = boto3.client("lambda")
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="always-fails", StartingPosition="TRIM_HORIZON"
    )
    with pytest.raises(TimeoutError) as caught:
        lab.wait(timeout=1)
    message = str(caught.value)
    assert f"The Kinesis stream {arn} is still feeding function always-fails" in message
    assert mapping["UUID"] in message
    assert "MaximumRetryAttempts -1" in message


def test_async_events_still_running_are_counted(lab):
    lab.deploy("slow", SLOW, timeout_s=5)
    lam = boto3.client("lambda")
    lam.invoke(FunctionName="slow", InvocationType="Event", Payload=b"{}")
    with pytest.raises(TimeoutError) as caught:
        lab.wait(timeout=0.2)
    assert "1 async event(s) for function slow are queued, running or waiting" in str(caught.value)
    lab.wait()

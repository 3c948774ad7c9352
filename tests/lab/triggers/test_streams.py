"""DynamoDB Streams and Kinesis mappings: batches, start positions, record shapes, retries."""

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from course.lab.events import assert_shaped_like

from .recording import deploy_recorder, seen_events


def table_with_stream(name="orders"):
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return dynamodb, table["TableDescription"]["LatestStreamArn"]


def kinesis_stream(name="clicks"):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    return kinesis, arn


def put(kinesis, *texts, stream="clicks"):
    kinesis.put_records(
        StreamName=stream,
        Records=[{"Data": t.encode(), "PartitionKey": "user-1"} for t in texts],
    )


def datas(event):
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]


def test_dynamodb_changes_arrive_in_order_with_documented_shape(lab):
    dynamodb, stream = table_with_stream()
    deploy_recorder(lab, "audit")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="audit", StartingPosition="TRIM_HORIZON"
    )
    dynamodb.put_item(TableName="orders", Item={"Id": {"N": "101"}, "Message": {"S": "New"}})
    dynamodb.put_item(TableName="orders", Item={"Id": {"N": "101"}, "Message": {"S": "Changed"}})
    dynamodb.delete_item(TableName="orders", Key={"Id": {"N": "101"}})
    lab.wait()
    events = seen_events()
    for event in events:
        assert_shaped_like(event, "dynamodb-stream-update")
    names = [r["eventName"] for e in events for r in e["Records"]]
    assert names == ["INSERT", "MODIFY", "REMOVE"]
    assert events[0]["Records"][0]["eventSourceARN"] == stream


def test_kinesis_batch_size_and_base64_data(lab):
    kinesis, arn = kinesis_stream()
    deploy_recorder(lab, "clicks")
    put(kinesis, *[f"click {n}" for n in range(5)])
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="clicks", StartingPosition="TRIM_HORIZON", BatchSize=2
    )
    lab.wait()
    events = seen_events()
    for event in events:
        assert_shaped_like(event, "kinesis-get-records")
    assert [datas(e) for e in events] == [
        ["click 0", "click 1"],
        ["click 2", "click 3"],
        ["click 4"],
    ]


def test_latest_skips_records_written_before_the_mapping(lab):
    kinesis, arn = kinesis_stream()
    deploy_recorder(lab, "clicks")
    put(kinesis, "old")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="clicks", StartingPosition="LATEST"
    )
    put(kinesis, "new")
    lab.wait()
    assert [datas(e) for e in seen_events()] == [["new"]]


def test_failed_batch_is_retried_then_sent_to_on_failure(lab):
    kinesis, arn = kinesis_stream()
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    deploy_recorder(lab, "clicks", mode="fail")
    put(kinesis, "boom", "fine")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="clicks",
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    lab.wait()
    assert [i.outcome for i in lab.invocations] == ["error"] * 3
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    info = json.loads(message["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["KinesisBatchInfo"]["batchSize"] == 2


def test_bisect_isolates_the_bad_record(lab):
    kinesis, arn = kinesis_stream()
    deploy_recorder(lab, "clicks", mode="fail")
    put(kinesis, "ok 1", "boom", "ok 2", "ok 3")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="clicks",
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=0,
        BisectBatchOnFunctionError=True,
    )
    lab.wait()
    delivered = [
        datas(e)
        for e, i in zip(seen_events(), lab.invocations, strict=True)
        if i.outcome == "success"
    ]
    assert sorted(d for batch in delivered for d in batch) == ["ok 1", "ok 2", "ok 3"]
    (dropped,) = lab.dropped_events
    assert "MaximumRetryAttempts" in dropped["reason"]


def test_stream_mapping_needs_a_starting_position(lab):
    _, arn = kinesis_stream()
    deploy_recorder(lab, "clicks")
    with pytest.raises(ClientError) as caught:
        boto3.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName="clicks"
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "StartingPosition" in caught.value.response["Error"]["Message"]

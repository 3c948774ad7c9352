"""The lesson's wiring helpers do what boto3 would do on AWS, and triggers really fire."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from course.lab.events import shape_differences
from course.lessons import integrations as wire

PROXY = """
import json
def handler(event, context):
    if event["pathParameters"]["id"] == "crash":
        raise RuntimeError("crash")
    return {"statusCode": 201, "headers": {"X-Id": event["pathParameters"]["id"]},
            "body": json.dumps({"query": event["queryStringParameters"], "body": event["body"]})}
"""


def test_key_filter_and_s3_config():
    assert wire.key_filter() == {}
    assert wire.key_filter(prefix="a/") == {
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}}
    }
    config = wire.s3_config("arn:fn", ["s3:ObjectRemoved:*"], suffix=".png")
    assert config["Events"] == ["s3:ObjectRemoved:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "suffix", "Value": ".png"}]


def test_s3_needs_the_permission_then_filters_keys(lab):
    fn = wire.recorder(lab, "t-uploads")
    boto3.client("s3").create_bucket(Bucket="t-photos")
    config = wire.s3_config(fn.arn, ["s3:ObjectCreated:*"], prefix="in/", suffix=".png")
    with pytest.raises(ClientError) as caught:
        wire.notify("t-photos", config)
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"
    wire.allow_s3("t-uploads", "t-photos")
    wire.notify("t-photos", config)
    for key in ("in/a.png", "in/b.jpg", "out/c.png"):
        boto3.client("s3").put_object(Bucket="t-photos", Key=key, Body=b"x")
    lab.wait()
    events = fn.take()
    assert [e["Records"][0]["s3"]["object"]["key"] for e in events] == ["in/a.png"]
    assert shape_differences(events[0], "s3-put") == []
    assert fn.take() == []  # taken once


def test_allow_writes_the_statement_sns_needs_and_delivery_follows(lab):
    fn = wire.recorder(lab, "t-news")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="t-news")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)
    sns.publish(TopicArn=topic, Message="before")
    lab.wait()
    assert fn.take() == []
    statement = wire.allow(fn.arn, "sns.amazonaws.com", topic)
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == topic
    assert wire.allow(fn.arn, "sns.amazonaws.com", topic) == statement  # once only
    sns.publish(TopicArn=topic, Message="after")
    lab.wait()
    assert [e["Records"][0]["Sns"]["Message"] for e in fn.take()] == ["after"]


def test_recorders_sharing_a_bucket_keep_their_own_events(lab):
    first, second = wire.recorder(lab, "t-first"), wire.recorder(lab, "t-second")
    lam = boto3.client("lambda")
    lam.invoke(FunctionName="t-first", Payload=b'{"n": 1}')
    lam.invoke(FunctionName="t-second", Payload=b'{"n": 2}')
    assert second.take() == [{"n": 2}]
    assert first.take() == [{"n": 1}]


def test_partial_batch_and_redrive_with_the_queue_helpers(lab):
    wire.recorder(lab, "t-orders", mode="partial")
    q = wire.queue_with_dlq("t-orders", 2, VisibilityTimeout="0")
    wire.send(q["url"], *[f"good {n}" for n in range(11)], "bad 1")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=q["arn"],
        FunctionName="t-orders",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    lab.wait()
    assert wire.drain(q["dlq_url"]) == ["bad 1"]
    assert wire.in_queue(q["url"]) == 0


def test_a_failing_recorder_leaves_the_batch_in_flight(lab):
    fn = wire.recorder(lab, "t-fail", mode="fail")
    url, arn = wire.queue("t-careful", VisibilityTimeout="30")
    wire.send(url, "boom", "fine")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="t-fail")
    lab.wait()
    (event,) = fn.take()
    assert sorted(wire.sqs_bodies(event)) == ["boom", "fine"]
    assert wire.in_queue(url) == 2


def test_stream_helpers_deliver_dynamodb_changes_and_kinesis_data(lab):
    table_fn, clicks_fn = wire.recorder(lab, "t-table"), wire.recorder(lab, "t-clicks")
    lam = boto3.client("lambda")
    stream = wire.stream_table("t-orders")
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName="t-table", StartingPosition="TRIM_HORIZON"
    )
    boto3.client("dynamodb").put_item(TableName="t-orders", Item={"id": {"N": "1"}})
    arn = wire.kinesis_stream("t-clicks")
    wire.put_records("t-clicks", "a", "b", "c")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="t-clicks", StartingPosition="TRIM_HORIZON", BatchSize=2
    )
    lab.wait()
    (change,) = table_fn.take()
    assert shape_differences(change, "dynamodb-stream-update") == []
    assert [wire.kinesis_data(e) for e in clicks_fn.take()] == [["a", "b"], ["c"]]


def test_proxy_api_serves_the_function_over_http(lab):
    arn = lab.deploy("t-proxy", PROXY)["FunctionArn"]
    base = wire.proxy_api(lab, "t-api", arn, "items/{id}", "POST")
    assert base.startswith("http://127.0.0.1:")
    status, headers, body = wire.http(f"{base}/items/7?x=1", "POST", "hello")
    assert (status, headers["X-Id"]) == (201, "7")
    assert json.loads(body) == {"query": {"x": "1"}, "body": "hello"}
    assert wire.http(f"{base}/items/crash", "POST")[0] == 502
    assert wire.http(f"{base}/items/7")[0] == 403  # GET has no method on this resource


def test_user_pool_runs_the_pre_sign_up_trigger(lab):
    gate = "def handler(event, context):\n    raise Exception('closed')\n"
    arn = lab.deploy("t-gate", gate)["FunctionArn"]
    _, client_id = wire.user_pool("t-pool", PreSignUp=arn)
    with pytest.raises(ClientError) as caught:
        wire.sign_up(client_id, "eve", "eve@example.com")
    assert caught.value.response["Error"]["Code"] == "UserLambdaValidationException"
    _, open_client = wire.user_pool("t-open")
    assert wire.sign_up(open_client, "ana", "ana@example.com")["UserConfirmed"] is False


CHARGE_ONCE = """
import os
import boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
def handler(event, context):
    for record in event["Records"]:
        if os.environ["SAFE"] == "yes":
            try:
                table.put_item(Item={"order_id": record["body"], "charged": 1},
                               ConditionExpression="attribute_not_exists(order_id)")
            except table.meta.client.exceptions.ConditionalCheckFailedException:
                pass
        else:
            table.update_item(Key={"order_id": record["body"]}, UpdateExpression="ADD charged :one",
                              ExpressionAttributeValues={":one": 1})
        if record["attributes"]["ApproximateReceiveCount"] == "1":
            raise TimeoutError("after the work, before the answer")
"""


@pytest.mark.parametrize(("safe", "times"), [("no", 2), ("yes", 1)])
def test_a_redelivered_message_repeats_the_effect_unless_the_put_is_conditional(lab, safe, times):
    table_arn = wire.charges_table("t-charges")
    role = wire.table_role(lab, "t-pay-role", table_arn, "dynamodb:UpdateItem", "dynamodb:PutItem")
    lab.deploy("t-pay", CHARGE_ONCE, env={"TABLE": "t-charges", "SAFE": safe}, role=role)
    url, arn = wire.queue("t-pay", VisibilityTimeout="0")
    wire.send(url, "order-1", "order-2")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="t-pay", BatchSize=1
    )
    lab.wait()
    outcomes = sorted(i.outcome for i in lab.invocations if i.function == "t-pay")
    assert outcomes == ["error", "error", "success", "success"]
    assert wire.charges("t-charges") == {"order-1": times, "order-2": times}
    assert wire.in_queue(url) == 0


def test_the_table_role_allows_only_its_actions(lab):
    table_arn = wire.charges_table("t-ledger")
    role = wire.table_role(lab, "t-reader-role", table_arn, "dynamodb:GetItem")
    writer = "import boto3\ndef handler(e, c):\n    boto3.client('dynamodb').put_item(TableName='t-ledger', Item={'order_id': {'S': 'x'}, 'charged': {'N': '1'}})\n"  # noqa: E501
    lab.deploy("t-writer", writer, role=role)
    response = boto3.client("lambda").invoke(FunctionName="t-writer")
    assert "AccessDenied" in json.loads(response["Payload"].read())["errorMessage"]
    assert wire.charges("t-ledger") == {}


def test_fan_out_gives_every_queue_a_copy_and_the_filter_lets_only_matches_through(lab):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="t-orders")["TopicArn"]
    audit = wire.fan_out(topic, "t-audit")
    policy = {"kind": ["refund"], "amount": [{"numeric": [">=", 100]}]}
    big = wire.fan_out(topic, "t-big", policy)
    wire.publish(topic, "a", kind="refund", amount=100)
    wire.publish(topic, "b", kind="refund", amount=99)
    wire.publish(topic, "c", kind="sale", amount=500)
    wire.publish(topic, "d", kind="refund", amount="100")  # a String attribute is not a number
    wire.publish(topic, "e", kind="refund")
    assert wire.drain(audit) == ["a", "b", "c", "d", "e"]
    assert wire.drain(big) == ["a"]
    found = sqs.get_queue_attributes(QueueUrl=big, AttributeNames=["Policy", "QueueArn"])
    (statement,) = json.loads(found["Attributes"]["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == topic
    assert statement["Resource"] == found["Attributes"]["QueueArn"]

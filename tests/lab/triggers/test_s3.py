"""S3 event notifications: async invokes with retries, filters, AWS's fields, permission check."""

import boto3
import pytest
from botocore.exceptions import ClientError

from course.facts import fact
from course.lab.events import assert_shaped_like

from .recording import deploy_recorder, seen_events


def bucket_with_notification(lab, function_arn, name="inbox", allow=True, **rule):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    if allow:
        boto3.client("lambda").add_permission(
            FunctionName=function_arn,
            StatementId=f"s3-{name}",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=f"arn:aws:s3:::{name}",
            SourceAccount="123456789012",
        )
    config = {"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"], **rule}
    s3.put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration={"LambdaFunctionConfigurations": [config]}
    )
    return s3


def test_upload_invokes_the_function_asynchronously_with_an_aws_shaped_event(lab):
    fn = deploy_recorder(lab, "on-upload")
    s3 = bucket_with_notification(lab, fn["FunctionArn"], Id="uploads")
    s3.put_object(Bucket="inbox", Key="photos/cat 1.jpg", Body=b"12345")
    lab.wait()
    assert [(i.function, i.invocation_type, i.outcome) for i in lab.invocations] == [
        ("on-upload", "Event", "success")
    ]
    (event,) = seen_events()
    assert_shaped_like(event, "s3-put")
    record = event["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["configurationId"] == "uploads"
    assert record["s3"]["object"]["key"] == "photos/cat+1.jpg"  # URL-encoded, as on AWS
    assert record["s3"]["object"]["size"] == 5
    assert record["requestParameters"]["sourceIPAddress"] == "127.0.0.1"


def test_delete_event_is_shaped_like_aws_without_size_or_etag(lab):
    fn = deploy_recorder(lab, "on-delete")
    s3 = bucket_with_notification(lab, fn["FunctionArn"], Events=["s3:ObjectRemoved:*"])
    s3.put_object(Bucket="inbox", Key="old.txt", Body=b"x")
    s3.delete_object(Bucket="inbox", Key="old.txt")
    lab.wait()
    (event,) = seen_events()
    assert_shaped_like(event, "s3-delete")
    assert event["Records"][0]["eventName"] == "ObjectRemoved:Delete"


def test_prefix_and_suffix_filters_choose_which_keys_fire(lab):
    fn = deploy_recorder(lab, "thumbs")
    rules = [{"Name": "prefix", "Value": "images/"}, {"Name": "suffix", "Value": ".png"}]
    s3 = bucket_with_notification(lab, fn["FunctionArn"], Filter={"Key": {"FilterRules": rules}})
    for key in ("images/a.png", "images/b.jpg", "docs/c.png", "images/d.png"):
        s3.put_object(Bucket="inbox", Key=key, Body=b"x")
    lab.wait()
    keys = sorted(e["Records"][0]["s3"]["object"]["key"] for e in seen_events())
    assert keys == ["images/a.png", "images/d.png"]


def test_a_failing_function_is_retried_and_the_event_reaches_on_failure(lab):
    fn = deploy_recorder(lab, "picky", mode="fail")
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="s3-failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="picky", DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    s3 = bucket_with_notification(lab, fn["FunctionArn"])
    s3.put_object(Bucket="inbox", Key="boom.txt", Body=b"x")  # the upload itself succeeds
    lab.wait()
    attempts = 1 + int(fact("async.max_retry_attempts").value)
    assert [i.outcome for i in lab.invocations] == ["error"] * attempts
    (message,) = sqs.receive_message(QueueUrl=url).get("Messages", [])
    assert '"condition": "RetriesExhausted"' in message["Body"]


def test_notification_without_permission_fails_like_aws(lab):
    fn = deploy_recorder(lab, "locked")
    with pytest.raises(ClientError) as caught:
        bucket_with_notification(lab, fn["FunctionArn"], allow=False)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert error["Message"].startswith(
        "Unable to validate the following destination configurations"
    )
    assert "add_permission" in error["Message"]


def test_a_permission_removed_later_stops_the_deliveries(lab):
    fn = deploy_recorder(lab, "revoked")
    s3 = bucket_with_notification(lab, fn["FunctionArn"], name="revoking")
    boto3.client("lambda").remove_permission(FunctionName="revoked", StatementId="s3-revoking")
    s3.put_object(Bucket="revoking", Key="late.txt", Body=b"1")
    lab.wait()
    assert lab.invocations == []
    (dropped,) = lab.dropped_events
    assert dropped["reason"].startswith("S3 could not deliver: ")
    assert "add_permission" in dropped["reason"]


def test_permission_for_another_bucket_is_not_enough(lab):
    fn = deploy_recorder(lab, "other")
    boto3.client("lambda").add_permission(
        FunctionName="other",
        StatementId="s3-elsewhere",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::elsewhere",
    )
    with pytest.raises(ClientError, match="Unable to validate"):
        bucket_with_notification(lab, fn["FunctionArn"], allow=False)

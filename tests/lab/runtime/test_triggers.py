"""Smoke test of the moto integration: an S3 upload really runs a handler that writes DynamoDB.

If a moto upgrade changes how S3 notifications reach Lambda, this fails loudly.
"""

import boto3

from tests.lab.runtime.conftest import role_allowing


def test_s3_upload_runs_the_handler_which_writes_dynamodb(lab, deploy):
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="uploads",
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/uploads"
    role = role_allowing(lab, "indexer", "dynamodb:PutItem", table_arn)  # least privilege
    config = deploy("indexer", "s3_to_dynamodb.handler", env={"TABLE": "uploads"}, role=role)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="inbox")
    boto3.client("lambda").add_permission(  # S3 needs the function's permission, as on AWS
        FunctionName="indexer",
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::inbox",
    )
    s3.put_bucket_notification_configuration(
        Bucket="inbox",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": config["FunctionArn"], "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    s3.put_object(Bucket="inbox", Key="photo.jpg", Body=b"12345")
    lab.wait()
    item = dynamodb.get_item(TableName="uploads", Key={"key": {"S": "photo.jpg"}}).get("Item")
    assert item == {"key": {"S": "photo.jpg"}, "bucket": {"S": "inbox"}, "size": {"N": "5"}}, (
        "The S3 notification did not run the handler: moto's S3 -> Lambda path has changed."
    )
    assert [i.outcome for i in lab.invocations] == ["success"]


def test_sqs_event_source_mapping_runs_the_handler(lab, deploy):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    deploy("worker", "errors.echo")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    sqs.send_message(QueueUrl=url, MessageBody="job 1")
    lab.wait()
    assert [(i.function, i.outcome) for i in lab.invocations] == [("worker", "success")]


def test_sns_subscription_runs_the_handler(lab, deploy):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    config = deploy("reader", "errors.echo")
    boto3.client("lambda").add_permission(  # SNS needs the function's permission, as on AWS
        FunctionName="reader",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=config["FunctionArn"])
    sns.publish(TopicArn=topic, Message="hello")
    lab.wait()
    assert [(i.function, i.outcome) for i in lab.invocations] == [("reader", "success")]

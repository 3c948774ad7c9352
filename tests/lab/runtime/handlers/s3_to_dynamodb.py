"""S3 notification handler: records each uploaded object in a DynamoDB table."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    for record in event["Records"]:
        table.put_item(
            Item={
                "key": record["s3"]["object"]["key"],
                "bucket": record["s3"]["bucket"]["name"],
                "size": record["s3"]["object"]["size"],
            }
        )
    return len(event["Records"])

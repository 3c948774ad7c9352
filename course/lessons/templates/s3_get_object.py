"""Read each object an S3 event names and report its content type and size.

Pairs with the s3-put event. Returns {"objects": [{"bucket", "key", "contentType", "size"}]},
one entry per record. Object keys arrive URL-encoded (a space is '+'), so they are decoded first.
"""

import logging
import urllib.parse

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

s3 = boto3.client("s3")  # created once per execution environment, reused by warm invocations


def lambda_handler(event, context):
    """Get every object named in the event's records and return what was read."""
    objects = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        response = s3.get_object(Bucket=bucket, Key=key)
        size = len(response["Body"].read())
        logger.info("Read s3://%s/%s (%s, %d bytes)", bucket, key, response["ContentType"], size)
        objects.append(
            {"bucket": bucket, "key": key, "contentType": response["ContentType"], "size": size}
        )
    return {"objects": objects}

"""Make a thumbnail of each image uploaded to S3 and record its metadata in DynamoDB.

S3 invokes this function asynchronously with an ObjectCreated event. Settings come from
environment variables: DEST_BUCKET (where thumbnails go), DEST_PREFIX (a key prefix for
them), TABLE (the metadata table) and MAX_SIDE (the thumbnail's longest side in pixels).
"""

import io
import os
import urllib.parse

import boto3
from PIL import Image
from sizing import thumbnail_size

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(os.environ.get("TABLE", "thumbnails"))


def handler(event, context):
    """Thumbnail every object the S3 event names; return the metadata items written."""
    items = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        original = Image.open(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        size = thumbnail_size(*original.size, int(os.environ.get("MAX_SIDE", "128")))
        buffer = io.BytesIO()
        original.resize(size).save(buffer, format=original.format)
        thumb_key = os.environ.get("DEST_PREFIX", "") + key
        s3.put_object(Bucket=os.environ["DEST_BUCKET"], Key=thumb_key, Body=buffer.getvalue())
        item = {
            "source_key": key,
            "thumbnail_key": thumb_key,
            "format": original.format,
            "source_width": original.size[0],
            "source_height": original.size[1],
            "thumbnail_width": size[0],
            "thumbnail_height": size[1],
        }
        table.put_item(Item=item)
        items.append(item)
    return {"thumbnails": items}

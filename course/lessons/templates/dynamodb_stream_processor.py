"""Process DynamoDB Streams records: count them by event name and log the changed items.

Pairs with the dynamodb-stream-update event. Images arrive in DynamoDB JSON ({"N": "101"}), so
they are turned into plain values first. Returns {"processed": n, "byEventName": {...}}.
"""

import logging
from collections import Counter

from boto3.dynamodb.types import TypeDeserializer

logger = logging.getLogger()
logger.setLevel(logging.INFO)

deserializer = TypeDeserializer()


def plain(image):
    """Turn a DynamoDB JSON image into a dict of plain Python values."""
    return {name: deserializer.deserialize(value) for name, value in image.items()}


def lambda_handler(event, context):
    """Log each change and return how many records of each kind were processed."""
    counts = Counter()
    for record in event["Records"]:
        change = record["dynamodb"]
        logger.info(
            "%s keys=%s new=%s old=%s",
            record["eventName"],
            plain(change["Keys"]),
            plain(change.get("NewImage", {})),
            plain(change.get("OldImage", {})),
        )
        counts[record["eventName"]] += 1
    return {"processed": sum(counts.values()), "byEventName": dict(counts)}

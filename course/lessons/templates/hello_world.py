"""Hello world: log the event and greet with its key1 value.

Pairs with the hello-world test event. Returns {"greeting": "Hello from Lambda!", "key1": ...}.
"""

import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    """Log the event and return a greeting with the value of key1."""
    logger.info("Received event: %s", json.dumps(event))
    return {"greeting": "Hello from Lambda!", "key1": event.get("key1")}

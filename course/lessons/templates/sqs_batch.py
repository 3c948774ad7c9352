"""Process a batch of SQS messages and report only the failed ones (partial batch response).

Pairs with the sqs-receive-message event. Each body must be a JSON object with an "orderId".
Returns {"batchItemFailures": [{"itemIdentifier": messageId}, ...]}: Lambda deletes the other
messages and only the listed ones return to the queue. This needs ReportBatchItemFailures in
the event source mapping's FunctionResponseTypes; without it the whole batch is retried.
"""

import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def process(body):
    """Handle one message body; raise ValueError when it cannot be processed."""
    order = json.loads(body)
    if not isinstance(order, dict) or "orderId" not in order:
        raise ValueError("the message body has no orderId")
    logger.info("Processed order %s", order["orderId"])


def lambda_handler(event, context):
    """Process every record and return the message IDs that failed."""
    failures = []
    for record in event["Records"]:
        try:
            process(record["body"])
        except ValueError as error:  # json.JSONDecodeError is a ValueError too
            logger.warning("Message %s failed: %s", record["messageId"], error)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

"""Answer an API Gateway REST API request (Lambda proxy integration, payload version 1.0).

Pairs with the apigateway-aws-proxy event. Returns {"statusCode", "headers", "body"}; the body
is a JSON string echoing the method, path, path parameters and query string parameters.
"""

import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    """Describe the request in a JSON response, as API Gateway expects from a proxy function."""
    logger.info("%s %s", event["httpMethod"], event["path"])
    answer = {
        "method": event["httpMethod"],
        "path": event["path"],
        "pathParameters": event.get("pathParameters") or {},
        "query": event.get("queryStringParameters") or {},
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(answer),
    }

"""Prints and logs: both end up in CloudWatch Logs."""

import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)
print("init says hello")


def handler(event, context):
    print("print from the handler")
    logger.info("info from logging")
    for i in range(event.get("lines", 0)):
        print(f"line {i:05d} " + "y" * 60)
    return "logged"

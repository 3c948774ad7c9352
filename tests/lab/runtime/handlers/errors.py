"""Handlers that fail in each way the Lambda runtime reports."""

import os
import sys
import time


def raise_error(event, context):
    raise ValueError("something broke")


def sleep(event, context):
    time.sleep(event.get("seconds", 10))
    return "woke up"


def hog_memory(event, context):
    blocks = [bytearray(1024 * 1024) for _ in range(event.get("mb", 400))]
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])
    return len(blocks)


def unserialisable(event, context):
    return {1, 2, 3}


def exit_cleanly(event, context):
    sys.exit(3)


def hard_exit(event, context):
    os._exit(1)


def big_response(event, context):
    return "x" * event["bytes"]


def echo(event, context):
    return event


def hog_then_stop(event, context):
    """Holds event["mb"] MB, then sleeps past the timeout or ends its own process."""
    block = bytearray(event["mb"] * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    time.sleep(0.3)  # long enough for the runtime's memory poller to see the peak
    if event.get("then") == "exit":
        os._exit(1)
    time.sleep(10)
    return len(block)

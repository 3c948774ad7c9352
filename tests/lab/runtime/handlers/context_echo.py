"""Returns what the runtime gave the handler: context fields, environment, credentials."""

import os

import boto3

COUNTER = {"calls": 0}
sts = boto3.client("sts")


def handler(event, context):
    COUNTER["calls"] += 1
    return {
        "event": event,
        "calls": COUNTER["calls"],
        "pid": os.getpid(),
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity_id": context.identity.cognito_identity_id,
        "client_context": context.client_context.custom if context.client_context else None,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {k: v for k, v in os.environ.items() if k != "PATH"},
        "cwd": os.getcwd(),
        "module": __file__,
        "caller": sts.get_caller_identity()["Arn"],
    }


def mutate(event, context):
    """Tries to change the caller's process state: it must only change its own."""
    os.environ["LEAKED_BY_HANDLER"] = "yes"
    os.chdir("/")
    import sys

    sys.modules["leaked_module"] = sys
    return "mutated"

"""Invokes its own function synchronously once: separate environments, no deadlock."""

import json

import boto3

lam = boto3.client("lambda")


def handler(event, context):
    if event.get("depth", 0) >= 1:
        return {"depth": event["depth"]}
    inner = lam.invoke(FunctionName=context.function_name, Payload=json.dumps({"depth": 1}))
    return {"outer": True, "inner": json.loads(inner["Payload"].read())}


def loop(event, context):
    """Re-invokes itself asynchronously forever: the recursion guard must stop it."""
    lam.invoke(
        FunctionName=context.function_name,
        InvocationType="Event",
        Payload=json.dumps({"n": event.get("n", 0) + 1}),
    )
    return event.get("n", 0)


def slow(event, context):
    import time

    time.sleep(event.get("seconds", 0.5))
    return "done"

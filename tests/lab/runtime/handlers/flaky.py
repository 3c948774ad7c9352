"""Async handlers: one always fails, one succeeds."""


def fail(event, context):
    raise RuntimeError(f"cannot process {event.get('id')}")


def ok(event, context):
    return {"processed": event.get("id")}

"""Failures come back in AWS's shapes, and the next call works on a fresh environment."""

import json
import os

import pytest
from botocore.exceptions import ClientError

from course.facts import fact


def call(lam, name, payload=None, **kwargs):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kwargs)
    return response, json.loads(response["Payload"].read() or "null")


def error_of(lam, name, payload=None):
    response, body = call(lam, name, payload)
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    return body


def test_unhandled_exception_shape(lam, deploy):
    deploy("boom", "errors.raise_error")
    body = error_of(lam, "boom")
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "something broke"
    assert set(body) == {"errorMessage", "errorType", "stackTrace", "requestId"}
    assert any("errors.py" in line and "raise_error" in line for line in body["stackTrace"])
    assert not any("course/lab/worker.py" in line for line in body["stackTrace"])


def test_timeout_kills_the_worker_and_the_next_call_is_cold(lab, lam, deploy):
    deploy("sleepy", "errors.sleep", timeout_s=1)
    body = error_of(lam, "sleepy", {"seconds": 10})
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    assert call(lam, "sleepy", {"seconds": 0})[1] == "woke up"
    first, second = lab.invocations
    assert (first.outcome, second.outcome) == ("timeout", "success")
    assert second.cold and second.environment_id != first.environment_id


def test_memory_over_the_limit_is_out_of_memory(lab, lam, deploy):
    deploy("hog", "errors.hog_memory", memory_mb=128, timeout_s=10)
    body = error_of(lam, "hog", {"mb": 300})
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert call(lam, "hog", {"mb": 1})[1] == 1
    assert lab.invocations[0].max_memory_used_mb >= 128
    assert lab.invocations[1].cold


@pytest.mark.parametrize(
    ("source", "error_type", "message"),
    [
        (
            "def handler(event, context)\n    return 1\n",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app'",
        ),
        (
            "import package_that_is_not_installed\n",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'package_that_is_not_installed'",
        ),
        (
            "def other(event, context):\n    return 1\n",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
        ),
    ],
)
def test_init_errors(lab, lam, source, error_type, message):
    lab.deploy("broken", source)
    body = error_of(lam, "broken")
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message)


def test_result_that_is_not_json_is_a_marshal_error(lam, deploy):
    deploy("setty", "errors.unserialisable")
    body = error_of(lam, "setty")
    assert body["errorType"] == "Runtime.MarshalError"
    assert "Unable to marshal response" in body["errorMessage"]


@pytest.mark.parametrize(
    ("handler", "detail"),
    [
        ("errors.exit_cleanly", "Runtime exited with error: exit status 3"),
        ("errors.hard_exit", "Runtime exited with error: exit status 1"),
    ],
)
def test_exits_are_exit_errors_and_the_lab_keeps_working(lab, lam, deploy, handler, detail):
    deploy("quitter", handler)
    body = error_of(lam, "quitter")
    assert body["errorType"] == "Runtime.ExitError"
    assert detail in body["errorMessage"]
    deploy("fine", "errors.echo")
    assert call(lam, "fine", {"ok": 1})[1] == {"ok": 1}


def test_sync_request_over_6_mb_is_rejected_with_aws_words(lam, deploy):
    # AWS: awslabs/aws-athena-query-federation#793 (Status Code 413, Error Code
    # RequestEntityTooLargeException), pelmers/streetwarp-web#14.
    deploy("echo", "errors.echo")
    limit = fact("payload.sync_request_mb").value * 1024 * 1024
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="echo", Payload=json.dumps("x" * limit))
    error = caught.value.response["Error"]
    assert error["Code"] == "RequestEntityTooLargeException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Message"].startswith(
        f"Request must be smaller than {limit} bytes for the InvokeFunction operation ("
    )
    assert "payload.sync_request_mb" in error["Message"]


def test_async_request_over_the_async_limit_is_rejected_with_aws_words(lam, deploy):
    # AWS: ASFHyP3/hyp3#2241 ("264496 byte payload is too large for the Event invocation type
    # (limit 262144 bytes)", from boto3's ClientError).
    deploy("echo", "errors.echo")
    limit = fact("payload.async_mb").value * 1024 * 1024
    payload = json.dumps("x" * limit)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="echo", InvocationType="Event", Payload=payload)
    error = caught.value.response["Error"]
    assert error["Code"] == "RequestEntityTooLargeException"
    assert error["Message"].startswith(
        f"{len(payload)} byte payload is too large for the Event invocation type "
        f"(limit {limit} bytes) ("
    )


def test_response_over_6_mb_is_response_size_too_large(lam, deploy):
    deploy("big", "errors.big_response", memory_mb=512)
    limit = fact("payload.sync_response_bytes").value  # the JSON string adds two quotes
    body = error_of(lam, "big", {"bytes": limit - 1})
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    assert f"({limit + 1} bytes)" in body["errorMessage"]
    assert call(lam, "big", {"bytes": 10})[1] == "x" * 10


def test_init_longer_than_the_timeout_is_stopped(lab, lam, monkeypatch):
    monkeypatch.setattr(lab.runtime, "init_limit_s", 1.0)  # the facts' 10 s, made short
    lab.deploy(
        "slow-init", "import time\ntime.sleep(30)\ndef handler(e, c):\n    return 1\n", timeout_s=1
    )
    body = error_of(lam, "slow-init")
    assert body["errorType"] == "Sandbox.Timedout"
    assert lab.invocations[0].outcome == "timeout"
    assert lab.runtime.environments() == []  # the worker stuck in init was ended


def test_memory_over_the_limit_at_init_is_out_of_memory(lab, lam):
    lab.deploy(
        "fat-init",
        "import time\nBIG = bytearray(300 * 1024 * 1024)\nBIG[::4096] = "
        "b'x' * len(BIG[::4096])\ntime.sleep(5)\ndef handler(e, c):\n    return 1\n",
        timeout_s=10,
    )
    body = error_of(lam, "fat-init")
    assert body["errorType"] == "Runtime.OutOfMemory"


def test_worker_that_died_between_calls_is_replaced(lab, lam, deploy):
    """Its runtime process killed from outside while frozen between two invocations (a timer
    in the handler would be frozen too, and race the next invoke once thawed)."""
    import signal

    deploy("fragile", "errors.echo")
    assert call(lam, "fragile", {"n": 1})[1] == {"n": 1}
    (env,) = [e for e in lab.environments() if e.function_name == "fragile"]
    os.kill(env.pid, signal.SIGKILL)
    second = call(lam, "fragile", {"n": 2})
    third = call(lam, "fragile", {"n": 3})
    assert second[0].get("FunctionError") == "Unhandled"
    assert second[1]["errorType"] == "Runtime.ExitError"
    assert third[1] == {"n": 3}
    assert lab.invocations[2].cold


def test_payload_that_is_not_json_is_invalid_request_content(lam, deploy):
    deploy("echo", "errors.echo")
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="echo", Payload=b"not json")

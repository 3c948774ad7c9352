"""Invoke runs the uploaded handler in a worker process with Lambda's context and environment."""

import json
import os
import sys

import boto3
import pytest


def call(lam, name, payload=None, **kwargs):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kwargs)
    return response, json.loads(response["Payload"].read() or "null")


def test_handler_runs_in_a_worker_with_the_full_context(lab, lam, deploy):
    config = deploy("echo", "context_echo.handler", memory_mb=256, timeout_s=5)
    response, body = call(lam, "echo", {"x": 1})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"x": 1}
    assert body["pid"] != os.getpid()
    assert body["function_name"] == "echo"
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == config["FunctionArn"]
    assert body["memory_limit_in_mb"] == 256
    assert body["log_group_name"] == "/aws/lambda/echo"
    assert "[$LATEST]" in body["log_stream_name"]
    assert body["identity_id"] is None
    assert 4000 < body["remaining_ms"] <= 5000


def test_request_ids_are_unique(lam, deploy):
    deploy("echo", "context_echo.handler")
    ids = {call(lam, "echo")[1]["aws_request_id"] for _ in range(3)}
    assert len(ids) == 3


def test_documented_environment_variables_and_the_functions_own(lab, lam, deploy):
    deploy("echo", "context_echo.handler", env={"GREETING": "hi"})
    env = call(lam, "echo")[1]["env"]
    assert env["GREETING"] == "hi"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echo"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["_HANDLER"] == "context_echo.handler"
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_python3.{sys.version_info.minor}"
    assert env["AWS_ENDPOINT_URL"] == lab.endpoint_url
    body = call(lam, "echo")[1]
    assert body["module"] == os.path.join(env["LAMBDA_TASK_ROOT"], "context_echo.py")
    assert body["cwd"] == env["LAMBDA_TASK_ROOT"]  # /var/task where the lab has namespaces
    assert env["AWS_SESSION_TOKEN"]


def test_handler_uses_the_execution_roles_credentials(lam, deploy):
    deploy("echo", "context_echo.handler")
    caller = call(lam, "echo")[1]["caller"]
    assert caller.endswith(":assumed-role/echo-role/echo")


def test_client_context_reaches_the_handler(lam, deploy):
    import base64

    deploy("echo", "context_echo.handler")
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    assert call(lam, "echo", ClientContext=context)[1]["client_context"] == {"k": "v"}


def test_callers_process_state_is_untouched(lam, deploy):
    deploy("mutate", "context_echo.mutate")
    before = (dict(os.environ), set(sys.modules), os.getcwd())
    assert call(lam, "mutate")[1] == "mutated"
    assert (dict(os.environ), set(sys.modules), os.getcwd()) == before
    assert "LEAKED_BY_HANDLER" not in os.environ


def test_dry_run_returns_204_without_running(lab, lam, deploy):
    deploy("echo", "context_echo.handler")
    response = lam.invoke(FunctionName="echo", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert lab.invocations == []


def test_versions_aliases_and_qualifier(lam, deploy):
    deploy("echo", "context_echo.handler", env={"V": "one"})
    lam.publish_version(FunctionName="echo")
    lam.update_function_configuration(FunctionName="echo", Environment={"Variables": {"V": "two"}})
    lam.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")
    assert call(lam, "echo")[1]["env"]["V"] == "two"
    response, body = call(lam, "echo", Qualifier="1")
    assert body["env"]["V"] == "one"
    assert response["ExecutedVersion"] == "1"
    assert body["function_version"] == "1"
    assert body["invoked_function_arn"].endswith(":echo:1")
    assert call(lam, "echo", Qualifier="live")[1]["env"]["V"] == "one"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="echo", Qualifier="7")


def test_plain_boto3_reaches_the_lab(lab):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="plain")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["plain"]
    assert os.environ["AWS_ENDPOINT_URL"] == lab.endpoint_url

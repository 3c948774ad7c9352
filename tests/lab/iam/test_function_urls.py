"""Function URLs served on 127.0.0.1: AuthType NONE and AWS_IAM, payload format 2.0."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from course.lab.events import assert_shaped_like
from course.lessons.security import user_credentials

ECHO = """
import json

def handler(event, context):
    if event["rawPath"] == "/plain":
        return {"seen": event["rawPath"]}
    if event["rawPath"] == "/crash":
        raise RuntimeError("boom")
    return {"statusCode": 201, "headers": {"X-Echo": "yes"}, "cookies": ["a=1"],
            "body": json.dumps(event)}
"""
FORBIDDEN = (403, b'{"Message":"Forbidden"}')


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def signed_call(url: str, credentials: Credentials, body: bytes = b"") -> tuple[int, bytes]:
    """A request signed with SigV4 for service lambda, as botocore signs it."""
    request = AWSRequest(method="POST", url=url, data=body, headers={"X-Client": "test"})
    SigV4Auth(credentials, "lambda", "us-east-1").add_auth(request)
    status, _, data = call(url, "POST", body, dict(request.headers))
    return status, data


@pytest.fixture
def echo(lab):
    return lab.deploy("echo", ECHO)["FunctionArn"]


def test_none_auth_needs_the_public_permission(lab, echo):
    lam = boto3.client("lambda")
    config = lam.create_function_url_config(FunctionName="echo", AuthType="NONE")
    assert ".lambda-url.us-east-1.on.aws" in config["FunctionUrl"]
    url = lab.function_url("echo")
    assert url.startswith("http://127.0.0.1:")
    assert call(url + "orders")[::2] == FORBIDDEN
    assert lab.invocations == []

    lam.add_permission(
        FunctionName="echo",
        StatementId="public-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    statement = json.loads(lam.get_policy(FunctionName="echo")["Policy"])["Statement"][0]
    assert statement["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    status, headers, body = call(
        url + "orders/7?a=1&a=2&b=x", "POST", b'{"qty": 2}', {"Cookie": "s=1; t=2"}
    )
    assert (status, headers["X-Echo"], headers["Set-Cookie"]) == (201, "yes", "a=1")
    event = json.loads(body)
    assert_shaped_like(event, "lambda-function-url")
    assert (event["rawPath"], event["rawQueryString"]) == ("/orders/7", "a=1&a=2&b=x")
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["body"] == '{"qty": 2}'
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["accountId"] == "anonymous"
    assert "authorizer" not in event["requestContext"]


def test_a_result_without_status_code_is_a_200_json_and_errors_are_502(lab, echo):
    lam = boto3.client("lambda")
    lam.create_function_url_config(FunctionName="echo", AuthType="NONE")
    lam.add_permission(
        FunctionName="echo",
        StatementId="public-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    url = lab.function_url("echo")
    status, headers, body = call(url + "plain")
    assert (status, headers["Content-Type"], json.loads(body)) == (
        200,
        "application/json",
        {"seen": "/plain"},
    )
    assert call(url + "crash")[::2] == (502, b"Internal Server Error")


def test_aws_iam_auth_needs_a_signed_request_from_an_allowed_identity(lab, echo):
    lam = boto3.client("lambda")
    lam.create_function_url_config(FunctionName="echo", AuthType="AWS_IAM")
    url = lab.function_url("echo") + "reports"
    allowed = user_credentials(
        "reporter", {"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl", "Resource": echo}
    )
    other = user_credentials(
        "stranger", {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": echo}
    )

    assert call(url)[::2] == FORBIDDEN  # unsigned
    assert signed_call(url, other) == FORBIDDEN  # signed, but not allowed
    forged = Credentials(allowed.access_key, "not-the-secret")
    assert signed_call(url, forged) == FORBIDDEN  # bad signature
    assert lab.invocations == []
    assert "lambda:InvokeFunctionUrl" in lab.explain_denial()

    status, body = signed_call(url, allowed, b"hello")
    assert status == 201
    event = json.loads(body)
    assert_shaped_like(event, "lambda-function-url")
    iam = event["requestContext"]["authorizer"]["iam"]
    assert iam["userArn"] == "arn:aws:iam::123456789012:user/reporter"
    assert iam["accessKey"] == allowed.access_key
    assert event["body"] == "hello"


def test_no_url_no_address(lab, echo):
    with pytest.raises(ClientError) as caught:
        lab.function_url("echo")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"

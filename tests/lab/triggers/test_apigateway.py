"""API Gateway REST APIs with AWS_PROXY integrations, served over real HTTP by the lab."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest

from course.lab import ACCOUNT_ID
from course.lab.events import assert_shaped_like

from .recording import allow

ECHO = """
import base64, json

def handler(event, context):
    if event["queryStringParameters"] and "crash" in event["queryStringParameters"]:
        raise RuntimeError("kaboom")
    if event["queryStringParameters"] and "bad" in event["queryStringParameters"]:
        return {"body": "no status code"}
    if event["path"].endswith(".png"):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG").decode(), "isBase64Encoded": True}
    return {
        "statusCode": 201,
        "headers": {"X-Echo": "yes"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(event),
    }
"""


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body bytes) of one real HTTP request."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def api(lab):
    """A REST API: GET /orders/{orderId}, ANY /files/{proxy+}, POST /orders; stage prod."""
    arn = lab.deploy("echo", ECHO)["FunctionArn"]
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    apigw = boto3.client("apigateway")
    api_id = apigw.create_rest_api(name="shop")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]

    def route(parent: str, part: str, method: str) -> str:
        resource = apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
        add(resource, method)
        return resource

    def add(resource: str, method: str) -> None:
        apigw.put_method(
            restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE"
        )
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )

    orders = route(root, "orders", "POST")
    route(orders, "{orderId}", "GET")
    files = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="files")["id"]
    route(files, "{proxy+}", "ANY")
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"env": "test"})
    allow(arn, "apigateway.amazonaws.com", f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{api_id}/*")
    return api_id, lab.api_url(api_id, "prod")


def test_a_request_reaches_the_handler_as_the_proxy_event(lab, api):
    api_id, base = api
    assert base.startswith("http://127.0.0.1:")
    status, headers, body = call(f"{base}/orders/1001?verbose=true&tag=a&tag=b")
    assert status == 201
    assert headers["X-Echo"] == "yes"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    event = json.loads(body)
    assert_shaped_like(event, "apigateway-aws-proxy")
    assert event["resource"] == "/orders/{orderId}"
    assert event["path"] == "/orders/1001"
    assert event["pathParameters"] == {"orderId": "1001"}
    assert event["queryStringParameters"] == {"verbose": "true", "tag": "b"}
    assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert event["stageVariables"] == {"env": "test"}
    assert event["requestContext"]["path"] == "/prod/orders/1001"
    assert event["requestContext"]["apiId"] == api_id
    assert event["body"] is None
    assert [i.function for i in lab.invocations] == ["echo"]


def test_body_headers_and_greedy_paths(api):
    _, base = api
    status, _, body = call(
        f"{base}/orders", "POST", b'{"item": "tea"}', {"Content-Type": "application/json"}
    )
    event = json.loads(body)
    assert (status, event["body"], event["pathParameters"]) == (201, '{"item": "tea"}', None)
    assert event["headers"]["Content-Type"] == "application/json"
    assert_shaped_like(event, "apigateway-aws-proxy")
    _, _, body = call(f"{base}/files/a/b/c.txt", "DELETE")
    event = json.loads(body)
    assert event["resource"] == "/files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert event["httpMethod"] == "DELETE"
    status, headers, body = call(f"{base}/files/logo.png")
    assert (status, headers["Content-Type"], body) == (200, "image/png", b"\x89PNG")


def test_errors_are_answered_as_api_gateway_does(lab, api):
    _, base = api
    assert call(f"{base}/nowhere")[::2] == (403, b'{"message": "Missing Authentication Token"}')
    assert call(f"{base}/orders/1", "DELETE")[0] == 403
    assert call(f"{base}/orders/1?crash=1")[::2] == (502, b'{"message": "Internal server error"}')
    assert call(f"{base}/orders/1?bad=1")[0] == 502
    assert call(base.replace("/prod", "/dev") + "/orders/1")[0] == 403
    assert [i.outcome for i in lab.invocations] == ["error", "success"]


def test_api_url_needs_a_deployed_stage(lab, api):
    api_id, _ = api
    with pytest.raises(Exception, match="Invalid stage identifier"):
        lab.api_url(api_id, "staging")
    with pytest.raises(Exception, match="Invalid API identifier"):
        lab.api_url("nope123", "prod")


def test_a_cognito_authorizer_checks_the_token_and_passes_the_claims(lab):
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="members")["UserPool"]
    client_id = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool["Id"],
        Username="ana",
        UserAttributes=[{"Name": "email", "Value": "ana@example.com"}],
    )
    idp.admin_set_user_password(
        UserPoolId=pool["Id"], Username="ana", Password="Correct-Horse-9", Permanent=True
    )
    tokens = idp.admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": "Correct-Horse-9"},
    )["AuthenticationResult"]

    arn = lab.deploy("echo", ECHO)["FunctionArn"]
    apigw = boto3.client("apigateway")
    api_id = apigw.create_rest_api(name="private")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    authorizer = apigw.create_authorizer(
        restApiId=api_id,
        name="members",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool["Arn"]],
        identitySource="method.request.header.Authorization",
    )["id"]
    me = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="me")["id"]
    apigw.put_method(
        restApiId=api_id,
        resourceId=me,
        httpMethod="GET",
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=me,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    allow(arn, "apigateway.amazonaws.com", f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{api_id}/*")
    url = lab.api_url(api_id, "prod") + "/me"

    unauthorized = (401, b'{"message": "Unauthorized"}')
    assert call(url)[::2] == unauthorized
    assert call(url, headers={"Authorization": "not-a-jwt"})[::2] == unauthorized
    assert call(url, headers={"Authorization": tokens["AccessToken"]})[::2] == unauthorized
    forged = tokens["IdToken"][:-4] + ("AAAA" if not tokens["IdToken"].endswith("AAAA") else "BBBB")
    assert call(url, headers={"Authorization": forged})[::2] == unauthorized
    assert lab.invocations == []

    status, _, body = call(url, headers={"Authorization": tokens["IdToken"]})
    assert status == 201
    event = json.loads(body)
    assert_shaped_like(event, "apigateway-aws-proxy")
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:username"] == "ana"
    assert claims["token_use"] == "id"
    assert claims["aud"] == client_id
    assert all(isinstance(v, str) for v in claims.values())

"""A function's resource-based policy gates every service that invokes it, as on AWS.

Each service must be named as Principal in `lambda add_permission`, and the SourceArn and
SourceAccount conditions must match the resource that triggers the function.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from course.lab import ACCOUNT_ID

HELLO = """
def handler(event, context):
    if "requestContext" in event:
        return {"statusCode": 200, "body": "hello"}
    return event
"""
REGION = "us-east-1"
DENIED = "is not authorized to perform: lambda:InvokeFunction"


def allow(function: str, principal: str, sid: str, **conditions: str) -> None:
    boto3.client("lambda").add_permission(
        FunctionName=function,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal=principal,
        **conditions,
    )


def runs(lab, name: str) -> int:
    lab.wait()
    return len([i for i in lab.invocations if i.function == name])


@pytest.fixture
def fn(lab):
    return lab.deploy("target", HELLO)["FunctionArn"]


# -- SNS -----------------------------------------------------------------------------------
def test_sns_delivers_nothing_without_permission_and_says_why(lab, fn):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    other = sns.create_topic(Name="other")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)
    sns.publish(TopicArn=topic, Message="no permission at all")
    allow("target", "sns.amazonaws.com", "wrong-topic", SourceArn=other)
    sns.publish(TopicArn=topic, Message="permission for another topic")
    assert runs(lab, "target") == 0
    assert len(lab.dropped_events) == 2
    reason = lab.dropped_events[-1]["reason"]
    assert f"User: sns.amazonaws.com {DENIED} on resource: {fn}" in reason
    assert "add_permission" in reason and topic in reason

    allow("target", "sns.amazonaws.com", "orders-topic", SourceArn=topic)
    sns.publish(TopicArn=topic, Message="allowed")
    assert runs(lab, "target") == 1
    assert len(lab.dropped_events) == 2


def test_source_account_is_honoured(lab, fn):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)
    allow("target", "sns.amazonaws.com", "elsewhere", SourceAccount="111122223333")
    sns.publish(TopicArn=topic, Message="from this account")
    assert runs(lab, "target") == 0
    allow("target", "sns.amazonaws.com", "here", SourceAccount=ACCOUNT_ID)
    sns.publish(TopicArn=topic, Message="from this account")
    assert runs(lab, "target") == 1


def test_removing_the_permission_stops_delivery(lab, fn):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)
    allow("target", "sns.amazonaws.com", "orders", SourceArn=topic)
    sns.publish(TopicArn=topic, Message="one")
    assert runs(lab, "target") == 1
    boto3.client("lambda").remove_permission(FunctionName="target", StatementId="orders")
    sns.publish(TopicArn=topic, Message="two")
    assert runs(lab, "target") == 1
    assert len(lab.dropped_events) == 1


# -- EventBridge -----------------------------------------------------------------------------
def test_eventbridge_rule_needs_permission_for_its_own_arn(lab, fn):
    events = boto3.client("events")
    rule = events.put_rule(Name="paid", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    other = events.put_rule(Name="other", EventPattern=json.dumps({"source": ["x"]}))["RuleArn"]
    events.put_targets(Rule="paid", Targets=[{"Id": "fn", "Arn": fn}])
    entry = {"Source": "shop", "DetailType": "Order", "Detail": "{}"}

    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0  # AWS accepts it too
    allow("target", "events.amazonaws.com", "other-rule", SourceArn=other)
    events.put_events(Entries=[entry])
    assert runs(lab, "target") == 0
    (first, second) = lab.dropped_events
    assert "Rule paid could not invoke" in second["reason"]
    assert f"User: events.amazonaws.com {DENIED}" in second["reason"]

    allow("target", "events.amazonaws.com", "paid-rule", SourceArn=rule)
    events.put_events(Entries=[entry])
    assert runs(lab, "target") == 1


def test_a_schedule_needs_the_permission_too(lab, fn):
    events = boto3.client("events")
    rule = events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule="tick", Targets=[{"Id": "fn", "Arn": fn}])
    lab.advance_time(60)
    assert runs(lab, "target") == 0
    allow("target", "events.amazonaws.com", "tick", SourceArn=rule)
    lab.advance_time(60)
    assert runs(lab, "target") == 1


# -- API Gateway -----------------------------------------------------------------------------
def call(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def api(lab, fn):
    apigw = boto3.client("apigateway")
    api_id = apigw.create_rest_api(name="shop")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    apigw.put_method(restApiId=api_id, resourceId=items, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id,
        resourceId=items,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}/invocations",
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id, lab.api_url(api_id, "prod") + "/items"


def test_api_gateway_answers_500_without_permission(lab, api):
    api_id, url = api
    internal = (500, b'{"message": "Internal server error"}')
    assert call(url) == internal
    base = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}"
    allow("target", "apigateway.amazonaws.com", "test-stage", SourceArn=f"{base}/test/GET/items")
    allow("target", "apigateway.amazonaws.com", "post-only", SourceArn=f"{base}/*/POST/*")
    assert call(url) == internal
    assert runs(lab, "target") == 0

    allow("target", "apigateway.amazonaws.com", "prod-get", SourceArn=f"{base}/prod/GET/items")
    assert call(url) == (200, b"hello")
    assert runs(lab, "target") == 1


# -- CloudWatch Logs -------------------------------------------------------------------------
NO_LOGS_PERMISSION = (
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs "
    "permission to execute your function."
)


def test_put_subscription_filter_fails_as_on_aws_without_permission(lab, fn):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/app")
    logs.create_log_stream(logGroupName="/app", logStreamName="s")

    def subscribe() -> None:
        logs.put_subscription_filter(
            logGroupName="/app", filterName="all", filterPattern="", destinationArn=fn
        )

    with pytest.raises(ClientError) as caught:
        subscribe()
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidParameterException", NO_LOGS_PERMISSION)

    other_group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/other:*"
    allow("target", "logs.amazonaws.com", "other", SourceArn=other_group)
    with pytest.raises(ClientError):
        subscribe()

    group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/app:*"
    allow("target", f"logs.{REGION}.amazonaws.com", "app", SourceArn=group)  # regional name
    subscribe()
    logs.put_log_events(
        logGroupName="/app",
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello"}],
    )
    assert runs(lab, "target") == 1

    boto3.client("lambda").remove_permission(FunctionName="target", StatementId="app")
    logs.put_log_events(
        logGroupName="/app",
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000) + 1, "message": "again"}],
    )
    assert runs(lab, "target") == 1
    assert "CloudWatch Logs could not deliver" in lab.dropped_events[-1]["reason"]


# -- Cognito ---------------------------------------------------------------------------------
def test_cognito_trigger_fails_with_access_denied_until_allowed(lab, fn):
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="members", LambdaConfig={"PreSignUp": fn})["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")
    client_id = client["UserPoolClient"]["ClientId"]

    def sign_up(name: str) -> dict:
        return idp.sign_up(ClientId=client_id, Username=name, Password="Correct-Horse-9")

    other_pool = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{REGION}_other"
    allow("target", "cognito-idp.amazonaws.com", "other", SourceArn=other_pool)
    with pytest.raises(ClientError) as caught:
        sign_up("ana")
    error = caught.value.response["Error"]
    assert error["Code"] == "UnexpectedLambdaException"
    assert error["Message"] == "PreSignUp invocation failed due to error AccessDeniedException."
    assert runs(lab, "target") == 0
    assert idp.list_users(UserPoolId=pool["Id"])["Users"] == []

    allow("target", "cognito-idp.amazonaws.com", "members", SourceArn=pool["Arn"])
    assert sign_up("ana")["UserConfirmed"] is False
    assert runs(lab, "target") == 1

"""Cognito user pool triggers really run: PreSignUp, PostConfirmation, PreTokenGeneration."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from course.lab.events import assert_shaped_like

from .recording import allow, writer_role

TRIGGER = """
import json, os, boto3

def handler(event, context):
    boto3.client("s3").put_object(
        Bucket="cognito-seen", Key=event["triggerSource"], Body=json.dumps(event)
    )
    attrs = event["request"].get("userAttributes", {})
    if event["triggerSource"] == "PreSignUp_SignUp":
        if attrs.get("email", "").endswith("@blocked.example"):
            raise Exception("Sign-ups from blocked.example are closed")
        event["response"]["autoConfirmUser"] = attrs.get("email", "").endswith("@trusted.example")
        event["response"]["autoVerifyEmail"] = event["response"]["autoConfirmUser"]
    if event["triggerSource"].startswith("TokenGeneration"):
        event["response"]["claimsOverrideDetails"] = {
            "claimsToAddOrOverride": {"plan": "gold", "iss": "forged"},
            "claimsToSuppress": ["email"],
        }
    return event
"""
PASSWORD = "Correct-Horse-9"


def seen(trigger_source: str) -> dict:
    body = boto3.client("s3").get_object(Bucket="cognito-seen", Key=trigger_source)["Body"]
    return json.loads(body.read())


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def pool(lab):
    """A user pool with all three triggers on one recording function, and an app client."""
    boto3.client("s3").create_bucket(Bucket="cognito-seen")
    role = writer_role(lab, "cognito-trigger", "cognito-seen")
    arn = lab.deploy("cognito-trigger", TRIGGER, role=role)["FunctionArn"]
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(
        PoolName="members",
        LambdaConfig={"PreSignUp": arn, "PostConfirmation": arn, "PreTokenGeneration": arn},
    )["UserPool"]
    pool_id = pool["Id"]
    allow(arn, "cognito-idp.amazonaws.com", pool["Arn"])
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return idp, pool_id, client_id


def sign_up(idp, client_id: str, name: str, email: str, **extra):
    return idp.sign_up(
        ClientId=client_id,
        Username=name,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
        **extra,
    )


def test_pre_sign_up_and_post_confirmation_run_with_aws_shaped_events(lab, pool):
    idp, pool_id, client_id = pool
    result = sign_up(
        idp,
        client_id,
        "ana",
        "ana@example.com",
        ValidationData=[{"Name": "referral", "Value": "newsletter"}],
        ClientMetadata={"source": "web"},
    )
    assert result["UserConfirmed"] is False
    event = seen("PreSignUp_SignUp")
    assert_shaped_like(event, "cognito-pre-signup")
    assert event["request"]["validationData"] == {"referral": "newsletter"}
    assert event["request"]["clientMetadata"] == {"source": "web"}
    assert (event["userPoolId"], event["callerContext"]["clientId"]) == (pool_id, client_id)
    idp.confirm_sign_up(ClientId=client_id, Username="ana", ConfirmationCode="123456")
    event = seen("PostConfirmation_ConfirmSignUp")
    assert_shaped_like(event, "cognito-post-confirmation")
    assert event["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert [i.function for i in lab.invocations] == ["cognito-trigger"] * 2


def test_a_failing_pre_sign_up_rejects_the_sign_up(pool):
    idp, pool_id, client_id = pool
    with pytest.raises(ClientError) as caught:
        sign_up(idp, client_id, "eve", "eve@blocked.example")
    error = caught.value.response["Error"]
    assert error["Code"] == "UserLambdaValidationException"
    assert error["Message"] == (
        "PreSignUp failed with error Sign-ups from blocked.example are closed."
    )
    assert idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_auto_confirm_from_pre_sign_up_is_honoured(pool):
    idp, pool_id, client_id = pool
    assert sign_up(idp, client_id, "tom", "tom@trusted.example")["UserConfirmed"] is True
    user = idp.admin_get_user(UserPoolId=pool_id, Username="tom")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    assert_shaped_like(seen("PostConfirmation_ConfirmSignUp"), "cognito-post-confirmation")


def test_pre_token_generation_overrides_the_id_token_claims(pool):
    idp, pool_id, client_id = pool
    sign_up(idp, client_id, "ana", "ana@example.com")
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="ana")
    assert seen("PostConfirmation_ConfirmSignUp")["callerContext"]["clientId"] == (
        "CLIENT_ID_NOT_APPLICABLE"
    )
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    event = seen("TokenGeneration_Authentication")
    assert_shaped_like(event, "cognito-pre-token-generation")
    claims = claims_of(tokens["IdToken"])
    assert claims["plan"] == "gold"
    assert "email" not in claims
    assert claims["iss"].startswith("https://cognito-idp.us-east-1.amazonaws.com/")
    refreshed = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert claims_of(refreshed["IdToken"])["plan"] == "gold"
    assert seen("TokenGeneration_RefreshTokens")["userName"] == "ana"

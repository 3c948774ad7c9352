"""The users API: Cognito sign-up triggers and the REST API function, backed by DynamoDB.

`on_sign_up` handles two Cognito triggers: PreSignUp (auto-confirm, so the course needs no
e-mail code) and PostConfirmation (store the new user's profile). `api` answers API Gateway
proxy requests for the signed-in user, whose ID token claims API Gateway has checked.
TABLE names the users table (key: user_id, the user's `sub`).
"""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ.get("TABLE", "users"))


def on_sign_up(event, context):
    """PreSignUp: auto-confirm the user. PostConfirmation: store the profile in the table."""
    if event["triggerSource"] == "PreSignUp_SignUp":
        event["response"]["autoConfirmUser"] = True
        event["response"]["autoVerifyEmail"] = True
    elif event["triggerSource"].startswith("PostConfirmation"):
        attributes = event["request"]["userAttributes"]
        table.put_item(
            Item={
                "user_id": attributes["sub"],
                "username": event["userName"],
                "email": attributes.get("email", ""),
            }
        )
    return event


def api(event, context):
    """GET /me: the signed-in user's profile from the table (404 if it is not there)."""
    claims = event["requestContext"]["authorizer"]["claims"]
    item = table.get_item(Key={"user_id": claims["sub"]}).get("Item")
    status, body = (200, item) if item else (404, {"message": "No profile for this user."})
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }

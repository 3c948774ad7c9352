"""A handler that makes the boto3 calls its event lists, as its own execution role."""

import json

import boto3
import pytest

CALLER = """
import os

import boto3
import botocore


def handler(event, context):
    results = []
    for service, method, params in event["calls"]:
        client = boto3.client(service)
        try:
            response = getattr(client, method)(**params)
        except botocore.exceptions.ClientError as error:
            results.append({"code": error.response["Error"]["Code"],
                            "message": error.response["Error"]["Message"],
                            "status": error.response["ResponseMetadata"]["HTTPStatusCode"]})
        else:
            response.pop("ResponseMetadata", None)
            results.append({"ok": {k: str(v) for k, v in response.items()}})
    return {"results": results, "key": os.environ["AWS_ACCESS_KEY_ID"],
            "token": bool(os.environ.get("AWS_SESSION_TOKEN"))}
"""


def statement(action, resource, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.fixture
def caller(lab):
    """caller(name, *statements) deploys the caller handler with a role allowing only those."""

    def deploy(name, *statements):
        role = lab.execution_role(f"{name}-role", policy(*statements) if statements else None)
        lab.deploy(name, CALLER, role=role)
        return role

    return deploy


def run(name, *calls):
    """Invoke function `name` with `calls`; return its list of results (one per call)."""
    response = boto3.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps({"calls": [list(c) for c in calls]})
    )
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body

"""A function with KMSKeyArn runs only if its execution role may kms:Decrypt with that key."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

SECRET_READER = """
import os

def handler(event, context):
    return os.environ["API_TOKEN"][:3]
"""


@pytest.fixture
def key_arn(lab):
    return boto3.client("kms").create_key(Description="env vars")["KeyMetadata"]["Arn"]


def deploy(lab, key_arn: str, **extra) -> None:
    role = lab.execution_role("reader-role")  # no policy: it may do nothing
    lab.deploy("reader", SECRET_READER, env={"API_TOKEN": "tok-123"}, role=role, KMSKeyArn=key_arn)


def allow_decrypt(key_arn: str) -> None:
    statement = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn}
    boto3.client("iam").put_role_policy(
        RoleName="reader-role",
        PolicyName="decrypt",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )


def test_a_role_without_kms_decrypt_gets_lambdas_kms_error(lab, key_arn):
    deploy(lab, key_arn)
    with pytest.raises(ClientError) as caught:
        boto3.client("lambda").invoke(FunctionName="reader")
    error = caught.value.response["Error"]
    assert error["Code"] == "KMSAccessDeniedException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 502
    # AWS runs "AccessDeniedException" and "KMS Message" together (cattle-ops/
    # terraform-aws-gitlab-runner#1253, 4dn-dcic/tibanna#402, DataBiosphere/azul#4200).
    assert error["Message"].startswith(
        "Lambda was unable to decrypt the environment variables because KMS access was denied. "
        "Please check the function's KMS key settings. KMS Exception: AccessDeniedExceptionKMS "
        "Message: User: arn:aws:sts::123456789012:assumed-role/reader-role/reader is not "
        f"authorized to perform: kms:Decrypt on resource: {key_arn}"
    )
    assert lab.invocations == []
    assert "kms:Decrypt" in lab.explain_denial("reader")


def test_with_kms_decrypt_on_the_key_it_runs(lab, key_arn):
    deploy(lab, key_arn)
    allow_decrypt(key_arn)  # takes effect on the next call, no redeploy
    response = boto3.client("lambda").invoke(FunctionName="reader")
    assert json.loads(response["Payload"].read()) == "tok"


def test_an_async_invoke_is_accepted_then_lost(lab, key_arn):
    deploy(lab, key_arn)
    response = boto3.client("lambda").invoke(FunctionName="reader", InvocationType="Event")
    assert response["StatusCode"] == 202
    lab.wait()
    assert lab.invocations == []
    assert lab.dropped_events[-1]["reason"].startswith("KMSAccessDeniedException: ")


def test_without_enforcement_or_without_a_key_nothing_is_checked(lab, key_arn):
    deploy(lab, key_arn)
    lab.enforce_iam = False
    try:
        assert "FunctionError" not in boto3.client("lambda").invoke(FunctionName="reader")
    finally:
        lab.enforce_iam = True
    role = lab.execution_role("plain-role")
    lab.deploy("plain", SECRET_READER, env={"API_TOKEN": "abc"}, role=role)
    assert "FunctionError" not in boto3.client("lambda").invoke(FunctionName="plain")

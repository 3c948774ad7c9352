"""Each security check says 'not yet' to the placeholder and to a plausible wrong answer, and
'correct' to the right one: the learner's policy really governs calls under the lab's IAM."""

import json

import boto3
import pytest

import course.lab
from course.grading.checks import security as checks

ACCOUNT = course.lab.ACCOUNT_ID


def allow(action, resource):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


# -- Q1 ----------------------------------------------------------------------------------
Q1_RIGHT = doc(allow("s3:GetObject", "arn:aws:s3:::l05-q1-archive/shared/*"))
Q1_WRONG = {
    "whole bucket": doc(allow("s3:GetObject", "arn:aws:s3:::l05-q1-archive/*")),
    "every action": doc(allow("s3:*", "arn:aws:s3:::l05-q1-archive/shared/*")),
    "no slash": doc(allow("s3:GetObject", "arn:aws:s3:::l05-q1-archive/shared*")),
    "any bucket": doc(allow("s3:GetObject", "arn:aws:s3:::*/shared/*")),
    "wrong prefix": doc(allow("s3:GetObject", "arn:aws:s3:::l05-q1-archive/private/*")),
}


@pytest.mark.parametrize("wrong", list(Q1_WRONG), ids=list(Q1_WRONG))
def test_q1_too_broad_or_wrong_policies_fail(verdict, lab, wrong):
    line = verdict(checks.check_q1, Q1_WRONG[wrong])
    assert line.startswith("Q1 not yet: "), line
    assert "shared/*" not in line


def test_q1_placeholder_fails_and_the_smallest_policy_passes(verdict, lab):
    assert verdict(checks.check_q1, ...).startswith("Q1 not yet: ")
    assert "policy document" in verdict(checks.check_q1, "s3:GetObject")
    line = verdict(checks.check_q1, Q1_RIGHT)
    assert line.startswith("Q1 correct: ") and "l05-q1-archive" not in line


# -- Q2 ----------------------------------------------------------------------------------
def q2_fix(*actions, table="l05-q2-orders"):
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}"
    boto3.client("iam").put_role_policy(
        RoleName="l05-q2-orders-role",
        PolicyName="orders",
        PolicyDocument=json.dumps(doc(allow(list(actions), arn))),
    )


def test_q2_setup_shows_the_real_denial_and_the_check_wants_the_exact_fix(verdict, lab):
    first = checks.deploy_q2_function()
    assert first.startswith("ClientError: An error occurred (AccessDeniedException) when calling")
    assert "assumed-role/l05-q2-orders-role/l05-q2-orders is not authorized to perform: " in first
    assert "dynamodb:PutItem" in first
    assert verdict(checks.check_q2, ...).startswith("Q2 not yet: ")
    assert verdict(checks.check_q2, {}).startswith("Q2 not yet: ")  # written, never attached
    q2_fix("dynamodb:PutItem")  # half a fix: GetItem is still refused
    assert "still fails with AccessDeniedException" in verdict(checks.check_q2, {})
    q2_fix("dynamodb:*")  # works, but too broad
    assert verdict(checks.check_q2, {}).startswith("Q2 not yet: ")
    q2_fix("dynamodb:PutItem", "dynamodb:GetItem")
    assert verdict(checks.check_q2, {}).startswith("Q2 correct: ")


# -- Q3 ----------------------------------------------------------------------------------
def test_q3_only_the_denied_call_from_cloudtrail_passes(verdict, lab):
    assert verdict(checks.check_q3, "l05-q3-cleanup", "DeleteObject").startswith("Q3 not yet")
    assert checks.run_q3_functions() == "Ran 3 functions; 3 of them reported success."
    assert verdict(checks.check_q3, ..., ...).startswith("Q3 not yet: ")
    assert "no denied call" in verdict(checks.check_q3, "l05-q3-billing", "Publish")
    assert "right function" in verdict(checks.check_q3, "l05-q3-cleanup", "GetObject").lower()
    line = verdict(checks.check_q3, "l05-q3-cleanup", "DeleteObject")
    assert line.startswith("Q3 correct: ") and "cleanup" not in line


# -- Q4 ----------------------------------------------------------------------------------
def q4_permission(**conditions):
    boto3.client("lambda").add_permission(
        FunctionName="l05-q4-resize",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        **conditions,
    )


def test_q4_needs_source_arn_and_source_account(verdict, lab):
    checks.deploy_q4_function()
    assert verdict(checks.check_q4).startswith("Q4 not yet: ")  # the stub: no permission
    q4_permission()
    assert "another bucket" in verdict(checks.check_q4)
    checks.deploy_q4_function()
    q4_permission(SourceArn="arn:aws:s3:::l05-q4-uploads")
    assert "another account" in verdict(checks.check_q4)
    checks.deploy_q4_function()
    q4_permission(SourceArn="arn:aws:s3:::l05-q4-uploads", SourceAccount=ACCOUNT)
    assert verdict(checks.check_q4).startswith("Q4 correct: ")


# -- Q5 ----------------------------------------------------------------------------------
Q5_SOURCE = """
import json, os
import boto3

def handler(event, context):
    value = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["DB_SECRET"])
    return {"user": json.loads(value["SecretString"])["username"]}
"""
Q5_ENV = {"DB_SECRET": "l05/q5/db"}


def test_q5_secret_read_by_name_under_a_one_secret_policy(verdict, lab):
    arn = checks.create_q5_secrets()
    right = doc(allow("secretsmanager:GetSecretValue", arn))
    assert verdict(checks.check_q5, ..., ..., ...).startswith("Q5 not yet: ")
    leaky = {"DB_PASSWORD": checks.Q5_CREDENTIALS["password"]}
    assert "in the environment" in verdict(checks.check_q5, Q5_SOURCE, leaky, right)
    broad = doc(allow("secretsmanager:*", "*"))
    assert "narrow" in verdict(checks.check_q5, Q5_SOURCE, Q5_ENV, broad)
    prefix = doc(allow("secretsmanager:GetSecretValue", f"{arn.split('db-')[0]}*"))
    assert verdict(checks.check_q5, Q5_SOURCE, Q5_ENV, prefix).startswith("Q5 not yet: ")
    wildcard = doc(allow("secretsmanager:GetSecretValue", f"{arn.split('db-')[0]}db-*"))
    assert verdict(checks.check_q5, Q5_SOURCE, Q5_ENV, wildcard).startswith("Q5 correct: ")
    line = verdict(checks.check_q5, Q5_SOURCE, Q5_ENV, right)
    assert line.startswith("Q5 correct: ") and checks.Q5_CREDENTIALS["password"] not in line


# -- Q6 ----------------------------------------------------------------------------------
def test_q6_the_drafted_policy_passes_and_admin_fails(verdict, lab):
    assert checks.run_q6_function() == "l05-q6-etl ran once with enforcement off: succeeded."
    assert lab.enforce_iam
    assert verdict(checks.check_q6, ...).startswith("Q6 not yet: ")
    assert verdict(checks.check_q6, doc(allow("*", "*"))).startswith("Q6 not yet: ")
    missing_queue = doc(allow(["s3:GetObject", "dynamodb:PutItem"], "*"))
    assert "failed with" in verdict(checks.check_q6, missing_queue)
    assert verdict(checks.check_q6, lab.least_privilege_policy("l05-q6-etl")).startswith(
        "Q6 correct: "
    )


# -- Q7 ----------------------------------------------------------------------------------
def function_arn(name):
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


def test_q7_the_user_may_invoke_one_function_and_nothing_else(verdict, lab):
    assert checks.deploy_q7_functions().startswith("Deployed l05-q7-api and l05-q7-admin")
    assert verdict(checks.check_q7, ...).startswith("Q7 not yet: ")
    every_function = doc(allow("lambda:InvokeFunction", "*"))
    assert verdict(checks.check_q7, every_function).startswith("Q7 not yet: ")
    everything = doc(allow("lambda:*", function_arn("l05-q7-api")))
    assert "narrow" in verdict(checks.check_q7, everything)  # and it deleted the function
    right = doc(allow("lambda:InvokeFunction", function_arn("l05-q7-api")))
    assert verdict(checks.check_q7, right).startswith("Q7 correct: ")

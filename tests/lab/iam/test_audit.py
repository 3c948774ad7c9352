"""CloudTrail LookupEvents, denial explanations and least-privilege drafts (plain boto3)."""

import json

import boto3
import pytest

from tests.lab.iam.conftest import policy, run, statement

ACCOUNT = "123456789012"


@pytest.fixture
def bucket(lab):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="audit-bkt")
    s3.put_object(Bucket="audit-bkt", Key="in/a.txt", Body=b"a")
    s3.put_object(Bucket="audit-bkt", Key="out/b.txt", Body=b"b")


def lookup(key, value, **extra):
    return boto3.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **extra
    )["Events"]


def test_management_events_and_denied_calls_are_in_cloudtrail(caller, bucket):
    caller("auditor", statement("s3:GetObject", "arn:aws:s3:::audit-bkt/in/*"))
    run("auditor", ("s3", "get_object", {"Bucket": "audit-bkt", "Key": "out/b.txt"}))

    (created,) = lookup("EventName", "CreateFunction")
    assert created["Username"] == "root" and created["EventSource"] == "lambda.amazonaws.com"
    assert {"ResourceType": "AWS::Lambda::Function", "ResourceName": "auditor"} in created[
        "Resources"
    ]
    detail = json.loads(created["CloudTrailEvent"])
    assert detail["eventName"] == "CreateFunction" and detail["userIdentity"]["type"] == "Root"
    assert detail["requestParameters"]["functionName"] == "auditor"
    assert "errorCode" not in detail and detail["managementEvent"] is True

    assert [e["EventName"] for e in lookup("ResourceName", "auditor-role")] == [
        "PutRolePolicy",
        "CreateRole",
    ]

    (denied,) = lookup("Username", "auditor")
    assert denied["EventName"] == "GetObject"
    detail = json.loads(denied["CloudTrailEvent"])
    assert detail["errorCode"] == "AccessDenied"
    assert detail["requestParameters"] == {"bucketName": "audit-bkt", "key": "out/b.txt"}
    assert detail["eventCategory"] == "Data" and detail["managementEvent"] is False
    assert "s3:GetObject on resource: arn:aws:s3:::audit-bkt/out/b.txt" in detail["errorMessage"]
    identity = detail["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/auditor-role/auditor"
    assert identity["accessKeyId"].startswith("ASIA")
    assert identity["sessionContext"]["sessionIssuer"]["userName"] == "auditor-role"
    # Allowed data events (the handler's other reads) are not management events: not recorded.
    assert not lookup("EventName", "GetObject", StartTime=0)[1:]


def test_lookup_events_pages_and_refuses_two_attributes(lab):
    iam = boto3.client("iam")
    for n in range(3):
        iam.create_role(RoleName=f"paged-{n}", AssumeRolePolicyDocument=json.dumps(policy()))
    page = boto3.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateRole"}],
        MaxResults=2,
    )
    assert [
        json.loads(e["CloudTrailEvent"])["requestParameters"]["roleName"] for e in page["Events"]
    ] == [
        "paged-2",
        "paged-1",
    ]
    rest = boto3.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateRole"}],
        NextToken=page["NextToken"],
    )
    assert len(rest["Events"]) == 1 and "NextToken" not in rest
    with pytest.raises(boto3.client("cloudtrail").exceptions.ClientError) as error:
        boto3.client("cloudtrail").lookup_events(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "CreateRole"},
                {"AttributeKey": "Username", "AttributeValue": "root"},
            ]
        )
    assert error.value.response["Error"]["Code"] == "InvalidLookupAttributesException"


def test_explain_denial_names_the_statements_and_what_is_missing(lab, caller, bucket):
    caller("explained", statement("s3:GetObject", "arn:aws:s3:::audit-bkt/in/*"))
    run("explained", ("s3", "get_object", {"Bucket": "audit-bkt", "Key": "out/b.txt"}))
    text = lab.explain_denial("explained")
    assert "s3:GetObject" in text and "arn:aws:s3:::audit-bkt/out/b.txt" in text
    assert (
        "inline policy explained-role-policy of role explained-role (Allow) does not apply" in text
    )
    assert "Resource arn:aws:s3:::audit-bkt/in/* does not match" in text
    assert "Missing: an Allow for s3:GetObject on arn:aws:s3:::audit-bkt/out/b.txt" in text
    assert lab.explain_denial("someone-else") == "No call was denied."


def test_least_privilege_policy_covers_exactly_the_calls_made(lab, caller, bucket):
    boto3.client("dynamodb").create_table(
        TableName="visits",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    caller("drafted")
    calls = [
        ("s3", "get_object", {"Bucket": "audit-bkt", "Key": "in/a.txt"}),
        ("s3", "list_objects_v2", {"Bucket": "audit-bkt", "Prefix": "in/"}),
        ("dynamodb", "put_item", {"TableName": "visits", "Item": {"id": {"S": "1"}}}),
    ]
    assert all("code" in r for r in run("drafted", *calls)["results"])
    drafted = lab.least_privilege_policy("drafted")
    assert drafted == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "dynamodb:PutItem",
                "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/visits",
            },
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::audit-bkt/in/a.txt",
            },
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::audit-bkt"},
        ],
    }
    lab.execution_role("drafted-role", drafted)  # the draft, applied, makes every call pass
    assert all("ok" in r for r in run("drafted", *calls)["results"])
    other = run("drafted", ("s3", "get_object", {"Bucket": "audit-bkt", "Key": "out/b.txt"}))
    assert other["results"][0]["code"] == "AccessDenied"

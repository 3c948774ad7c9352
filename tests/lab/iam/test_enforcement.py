"""Handlers and IAM users are authorised on every call, with AWS's errors (plain boto3)."""

import json

import boto3
import pytest

from tests.lab.iam.conftest import policy, run, statement

ACCOUNT = "123456789012"
ROLE_SESSION = "arn:aws:sts::123456789012:assumed-role/{0}-role/{0}"


def not_authorized(name, action, resource):
    return (
        f"User: {ROLE_SESSION.format(name)} is not authorized to perform: {action} on resource: "
        f"{resource} because no identity-based policy allows the {action} action"
    )


@pytest.fixture
def bucket(lab):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="photos")
    for key in ("in/cat.jpg", "out/dog.jpg"):
        s3.put_object(Bucket="photos", Key=key, Body=key.encode())
    return "photos"


def test_handler_reads_its_prefix_and_gets_access_denied_outside(caller, bucket):
    caller("reader", statement("s3:GetObject", "arn:aws:s3:::photos/in/*"))
    inside, outside, put = run(
        "reader",
        ("s3", "get_object", {"Bucket": "photos", "Key": "in/cat.jpg"}),
        ("s3", "get_object", {"Bucket": "photos", "Key": "out/dog.jpg"}),
        ("s3", "put_object", {"Bucket": "photos", "Key": "in/new.jpg", "Body": "x"}),
    )["results"]
    assert "ok" in inside
    assert outside == {
        "code": "AccessDenied",
        "message": not_authorized("reader", "s3:GetObject", "arn:aws:s3:::photos/out/dog.jpg"),
        "status": 403,
    }
    assert put["code"] == "AccessDenied" and "s3:PutObject" in put["message"]
    # The learner's own identity is the administrator: nothing changes for notebook cells.
    assert boto3.client("s3").get_object(Bucket="photos", Key="out/dog.jpg")["Body"].read()


def test_list_bucket_limited_to_a_prefix(caller, bucket):
    caller(
        "lister",
        statement(
            "s3:ListBucket", "arn:aws:s3:::photos", Condition={"StringLike": {"s3:prefix": "in/*"}}
        ),
    )
    inside, everything = run(
        "lister",
        ("s3", "list_objects_v2", {"Bucket": "photos", "Prefix": "in/"}),
        ("s3", "list_objects_v2", {"Bucket": "photos"}),
    )["results"]
    assert "ok" in inside
    assert everything["code"] == "AccessDenied"
    assert "s3:ListBucket on resource: arn:aws:s3:::photos because" in everything["message"]


def test_dynamodb_table_allowed_and_other_table_denied_as_json(lab, caller):
    ddb = boto3.client("dynamodb")
    for table in ("users", "orders"):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/"
    caller("writer", statement(["dynamodb:PutItem", "dynamodb:GetItem"], f"{table_arn}users"))
    item = {"id": {"S": "1"}}
    put, get, other, scan = run(
        "writer",
        ("dynamodb", "put_item", {"TableName": "users", "Item": item}),
        ("dynamodb", "get_item", {"TableName": "users", "Key": item}),
        ("dynamodb", "put_item", {"TableName": "orders", "Item": item}),
        ("dynamodb", "scan", {"TableName": "users"}),
    )["results"]
    assert "ok" in put and "ok" in get
    assert other == {
        "code": "AccessDeniedException",
        "message": not_authorized("writer", "dynamodb:PutItem", f"{table_arn}orders"),
        "status": 400,
    }
    assert scan["code"] == "AccessDeniedException" and "dynamodb:Scan" in scan["message"]
    assert "Item" not in ddb.get_item(TableName="orders", Key=item)  # the denied write never ran


def test_sns_topic_allowed_and_other_topic_refused_with_authorization_error(caller):
    sns = boto3.client("sns")
    allowed = sns.create_topic(Name="alerts")["TopicArn"]
    other = sns.create_topic(Name="billing")["TopicArn"]
    caller("notifier", statement("sns:Publish", allowed))
    ok, refused = run(
        "notifier",
        ("sns", "publish", {"TopicArn": allowed, "Message": "hi"}),
        ("sns", "publish", {"TopicArn": other, "Message": "hi"}),
    )["results"]
    assert "ok" in ok
    assert refused == {
        "code": "AuthorizationError",
        "message": not_authorized("notifier", "sns:Publish", other),
        "status": 403,
    }


@pytest.mark.parametrize(
    ("service", "method", "params", "code", "action"),
    [
        (
            "sqs",
            "send_message",
            {"QueueUrl": "QUEUE", "MessageBody": "x"},
            "AccessDenied",
            "sqs:SendMessage",
        ),
        (
            "secretsmanager",
            "get_secret_value",
            {"SecretId": "db-password"},
            "AccessDeniedException",
            "secretsmanager:GetSecretValue",
        ),
        ("ssm", "get_parameter", {"Name": "/app/db"}, "AccessDeniedException", "ssm:GetParameter"),
        (
            "lambda",
            "get_function",
            {"FunctionName": "bare"},
            "AccessDeniedException",
            "lambda:GetFunction",
        ),
        (
            "logs",
            "describe_log_streams",
            {"logGroupName": "/aws/lambda/bare"},
            "AccessDeniedException",
            "logs:DescribeLogStreams",
        ),
        (
            "kinesis",
            "put_record",
            {"StreamName": "clicks", "Data": "x", "PartitionKey": "k"},
            "AccessDeniedException",
            "kinesis:PutRecord",
        ),
        (
            "events",
            "put_events",
            {"Entries": [{"Source": "shop", "DetailType": "t", "Detail": "{}"}]},
            "AccessDeniedException",
            "events:PutEvents",
        ),
        (
            "kms",
            "encrypt",
            {"KeyId": "alias/app", "Plaintext": "x"},
            "AccessDeniedException",
            "kms:Encrypt",
        ),
    ],
)
def test_every_service_answers_a_denial_with_its_own_error_code(
    caller, service, method, params, code, action
):
    url = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    boto3.client("secretsmanager").create_secret(Name="db-password", SecretString="s3cret")
    boto3.client("ssm").put_parameter(Name="/app/db", Value="x", Type="SecureString")
    boto3.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    key = boto3.client("kms").create_key()["KeyMetadata"]["KeyId"]
    boto3.client("kms").create_alias(AliasName="alias/app", TargetKeyId=key)
    caller("bare")
    params = {k: url if v == "QUEUE" else v for k, v in params.items()}
    (result,) = run("bare", (service, method, params))["results"]
    assert result["code"] == code
    if service == "kms":  # an alias is resolved: the resource is the key it points to
        assert f"on resource: arn:aws:kms:us-east-1:{ACCOUNT}:key/" in result["message"]
    assert result["message"].startswith(
        f"User: {ROLE_SESSION.format('bare')} is not authorized to perform: {action} "
        "on resource: arn:aws:"
    )


def test_attach_and_detach_take_effect_on_the_next_call(caller, bucket):
    caller("flip")
    iam = boto3.client("iam")
    read = iam.create_policy(
        PolicyName="read-photos",
        PolicyDocument=json.dumps(policy(statement("s3:GetObject", "arn:aws:s3:::photos/*"))),
    )["Policy"]["Arn"]
    get = ("s3", "get_object", {"Bucket": "photos", "Key": "in/cat.jpg"})
    assert run("flip", get)["results"][0]["code"] == "AccessDenied"
    iam.attach_role_policy(RoleName="flip-role", PolicyArn=read)
    assert "ok" in run("flip", get)["results"][0]
    iam.put_role_policy(
        RoleName="flip-role",
        PolicyName="no-cats",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::photos/in/cat.jpg",
                    }
                ],
            }
        ),
    )
    denied = run("flip", get)["results"][0]
    assert denied["message"].endswith("with an explicit deny in an identity-based policy")
    iam.delete_role_policy(RoleName="flip-role", PolicyName="no-cats")
    iam.detach_role_policy(RoleName="flip-role", PolicyArn=read)
    assert run("flip", get)["results"][0]["code"] == "AccessDenied"


def test_handler_signs_as_its_assumed_role(caller):
    caller("whoami")
    body = run("whoami", ("sts", "get_caller_identity", {}))
    assert body["key"].startswith("ASIA") and body["token"]
    assert body["results"][0]["ok"]["Arn"] == ROLE_SESSION.format("whoami")


def learner_user(name, *statements):
    iam = boto3.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(
            UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy(*statements))
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client(
        "lambda", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )


def test_iam_user_without_invoke_permission_is_refused(lab):
    lab.deploy("hello", "def handler(event, context):\n    return 'hi'\n")
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"
    intern = learner_user("intern", statement("lambda:GetFunction", fn))
    assert intern.get_function(FunctionName="hello")["Configuration"]["FunctionName"] == "hello"
    with pytest.raises(intern.exceptions.ClientError) as denied:
        intern.invoke(FunctionName="hello")
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/intern is not authorized to perform: "
        f"lambda:InvokeFunction on resource: {fn} because no identity-based policy allows the "
        "lambda:InvokeFunction action"
    )
    operator = learner_user(
        "operator", statement("lambda:InvokeFunction", "arn:aws:lambda:*:*:function:hel?o")
    )
    assert operator.invoke(FunctionName="hello")["Payload"].read() == b'"hi"'


def test_function_resource_policy_lets_another_identity_invoke(lab):
    lab.deploy("shared", "def handler(event, context):\n    return 1\n")
    guest = learner_user("guest")
    with pytest.raises(guest.exceptions.ClientError):
        guest.invoke(FunctionName="shared")
    boto3.client("lambda").add_permission(
        FunctionName="shared",
        StatementId="guest",
        Action="lambda:InvokeFunction",
        Principal=f"arn:aws:iam::{ACCOUNT}:user/guest",
    )
    assert guest.invoke(FunctionName="shared")["StatusCode"] == 200


def test_switch_turns_enforcement_off_and_on(lab, caller, bucket):
    import course.lab

    caller("free")
    get = ("s3", "get_object", {"Bucket": "photos", "Key": "in/cat.jpg"})
    try:
        assert course.lab.start(enforce_iam=False) is lab and not lab.enforce_iam
        assert "ok" in run("free", get)["results"][0]
        course.lab.start()  # None keeps the running lab's setting
        assert not lab.enforce_iam
    finally:
        course.lab.start(enforce_iam=True)
    assert run("free", get)["results"][0]["code"] == "AccessDenied"


def test_group_policies_apply_to_their_members(lab):
    lab.deploy("grouped", "def handler(event, context):\n    return 2\n")
    iam = boto3.client("iam")
    iam.create_group(GroupName="operators")
    invoke = policy(statement("lambda:InvokeFunction", "*"))
    managed = iam.create_policy(PolicyName="invoke-all", PolicyDocument=json.dumps(invoke))
    member = learner_user("member")
    with pytest.raises(member.exceptions.ClientError):
        member.invoke(FunctionName="grouped")
    iam.add_user_to_group(GroupName="operators", UserName="member")
    iam.attach_group_policy(GroupName="operators", PolicyArn=managed["Policy"]["Arn"])
    assert member.invoke(FunctionName="grouped")["Payload"].read() == b"2"
    iam.remove_user_from_group(GroupName="operators", UserName="member")
    with pytest.raises(member.exceptions.ClientError):
        member.invoke(FunctionName="grouped")


def test_aws_managed_policies_can_be_attached_and_are_enforced(caller, bucket):
    caller("managed")
    iam = boto3.client("iam")
    read_only = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    iam.attach_role_policy(RoleName="managed-role", PolicyArn=read_only)
    attached = iam.list_attached_role_policies(RoleName="managed-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [read_only]
    get, put = run(
        "managed",
        ("s3", "get_object", {"Bucket": "photos", "Key": "out/dog.jpg"}),
        ("s3", "put_object", {"Bucket": "photos", "Key": "x", "Body": "x"}),
    )["results"]
    assert "ok" in get
    assert put["code"] == "AccessDenied"
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.attach_role_policy(
            RoleName="managed-role", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"
        )

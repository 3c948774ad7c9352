"""From raw AWS requests to the IAM actions and resource ARNs they need, per service."""

import json

import pytest

from course.lab.iam.actions import describe, parse_http

REGION, ACCOUNT = "us-east-1", "123456789012"


def checks(signing_name, method="POST", path="/", query="", headers=None, body=b""):
    service, operation, params = parse_http(signing_name, method, path, query, headers or {}, body)
    call = describe(service, operation, params, REGION, ACCOUNT)
    return operation, list(call.checks), dict(call.context)


def json_call(signing_name, target, params):
    return checks(signing_name, headers={"X-Amz-Target": target}, body=json.dumps(params).encode())


@pytest.mark.parametrize(
    ("method", "path", "query", "operation", "expected"),
    [
        (
            "GET",
            "/photos/in/cat.jpg",
            "",
            "GetObject",
            [("s3:GetObject", "arn:aws:s3:::photos/in/cat.jpg")],
        ),
        (
            "HEAD",
            "/photos/in/cat.jpg",
            "",
            "HeadObject",
            [("s3:GetObject", "arn:aws:s3:::photos/in/cat.jpg")],
        ),
        (
            "PUT",
            "/photos/a/b.txt",
            "",
            "PutObject",
            [("s3:PutObject", "arn:aws:s3:::photos/a/b.txt")],
        ),
        (
            "GET",
            "/photos",
            "list-type=2&prefix=in%2F",
            "ListObjectsV2",
            [("s3:ListBucket", "arn:aws:s3:::photos")],
        ),
        ("GET", "/photos", "", "ListObjects", [("s3:ListBucket", "arn:aws:s3:::photos")]),
        ("HEAD", "/photos", "", "HeadBucket", [("s3:ListBucket", "arn:aws:s3:::photos")]),
        ("GET", "/", "", "ListBuckets", [("s3:ListAllMyBuckets", "*")]),
        ("PUT", "/photos", "", "CreateBucket", [("s3:CreateBucket", "arn:aws:s3:::photos")]),
        (
            "GET",
            "/photos/k",
            "tagging",
            "GetObjectTagging",
            [("s3:GetObjectTagging", "arn:aws:s3:::photos/k")],
        ),
        (
            "PUT",
            "/photos",
            "notification",
            "PutBucketNotificationConfiguration",
            [("s3:PutBucketNotification", "arn:aws:s3:::photos")],
        ),
    ],
)
def test_s3_requests(method, path, query, operation, expected):
    found, needed, _ = checks("s3", method, path, query)
    assert (found, needed) == (operation, expected)


def test_s3_list_bucket_carries_the_prefix_condition_key():
    assert checks("s3", "GET", "/photos", "list-type=2&prefix=in%2F")[2] == {"s3:prefix": "in/"}


def test_s3_copy_needs_get_on_the_source_and_put_on_the_copy():
    _, needed, _ = checks("s3", "PUT", "/dst/k2", headers={"x-amz-copy-source": "src/k1"})
    assert needed == [
        ("s3:GetObject", "arn:aws:s3:::src/k1"),
        ("s3:PutObject", "arn:aws:s3:::dst/k2"),
    ]


def test_s3_delete_objects_needs_delete_object_per_key():
    body = b"<Delete><Object><Key>a</Key></Object><Object><Key>b/c</Key></Object></Delete>"
    _, needed, _ = checks("s3", "POST", "/photos", "delete", body=body)
    assert needed == [
        ("s3:DeleteObject", "arn:aws:s3:::photos/a"),
        ("s3:DeleteObject", "arn:aws:s3:::photos/b/c"),
    ]


FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:thumbs"


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("POST", "/2015-03-31/functions/thumbs/invocations", "", ("lambda:InvokeFunction", FN)),
        (
            "POST",
            "/2015-03-31/functions/thumbs/invocations",
            "Qualifier=live",
            ("lambda:InvokeFunction", f"{FN}:live"),
        ),
        (
            "POST",
            "/2015-03-31/functions/thumbs:3/invocations",
            "",
            ("lambda:InvokeFunction", f"{FN}:3"),
        ),
        ("GET", f"/2015-03-31/functions/{FN}", "", ("lambda:GetFunction", FN)),
        ("GET", f"/2015-03-31/functions/{ACCOUNT}:function:thumbs", "", ("lambda:GetFunction", FN)),
        ("GET", "/2015-03-31/functions/", "", ("lambda:ListFunctions", "*")),
        ("POST", "/2015-03-31/functions/thumbs/policy", "", ("lambda:AddPermission", FN)),
        ("GET", "/2015-03-31/functions/thumbs/policy", "", ("lambda:GetPolicy", FN)),
    ],
)
def test_lambda_requests(method, path, query, expected):
    assert checks("lambda", method, path, query)[1] == [expected]


def test_create_function_also_needs_pass_role():
    body = json.dumps({"FunctionName": "thumbs", "Role": f"arn:aws:iam::{ACCOUNT}:role/r"}).encode()
    _, needed, _ = checks(
        "lambda",
        "POST",
        "/2015-03-31/functions",
        headers={"content-type": "application/json"},
        body=body,
    )
    assert needed == [
        ("lambda:CreateFunction", FN),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/r"),
    ]


TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/users"


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        ("PutItem", {"TableName": "users"}, [("dynamodb:PutItem", TABLE)]),
        (
            "Query",
            {"TableName": "users", "IndexName": "by-email"},
            [("dynamodb:Query", f"{TABLE}/index/by-email")],
        ),
        ("ListTables", {}, [("dynamodb:ListTables", "*")]),
        (
            "BatchWriteItem",
            {"RequestItems": {"users": [], "orders": []}},
            [
                ("dynamodb:BatchWriteItem", TABLE.replace("users", "orders")),
                ("dynamodb:BatchWriteItem", TABLE),
            ],
        ),
        (
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "users"}},
                    {"ConditionCheck": {"TableName": "orders"}},
                ]
            },
            [
                ("dynamodb:PutItem", TABLE),
                ("dynamodb:ConditionCheckItem", TABLE.replace("users", "orders")),
            ],
        ),
    ],
)
def test_dynamodb_requests(operation, params, expected):
    assert json_call("dynamodb", f"DynamoDB_20120810.{operation}", params)[1] == expected


def test_dynamodb_streams_use_the_stream_arn_and_the_dynamodb_prefix():
    stream = f"{TABLE}/stream/2026-01-01T00:00:00.000"
    op, needed, _ = json_call(
        "dynamodb", "DynamoDBStreams_20120810.GetRecords", {"ShardIterator": f"{stream}|1|abc"}
    )
    assert (op, needed) == ("GetRecords", [("dynamodb:GetRecords", stream)])


@pytest.mark.parametrize(
    ("signing_name", "target", "params", "expected"),
    [
        (
            "sqs",
            "AmazonSQS.SendMessageBatch",
            {"QueueUrl": f"http://127.0.0.1:5000/{ACCOUNT}/jobs"},
            [("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs")],
        ),
        (
            "sqs",
            "AmazonSQS.GetQueueUrl",
            {"QueueName": "jobs"},
            [("sqs:GetQueueUrl", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs")],
        ),
        (
            "logs",
            "Logs_20140328.PutLogEvents",
            {"logGroupName": "/aws/lambda/f", "logStreamName": "s"},
            [
                (
                    "logs:PutLogEvents",
                    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:s",
                )
            ],
        ),
        (
            "logs",
            "Logs_20140328.FilterLogEvents",
            {"logGroupName": "/aws/lambda/f"},
            [("logs:FilterLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f")],
        ),
        (
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            {"SecretId": "db"},
            [
                (
                    "secretsmanager:GetSecretValue",
                    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db",
                )
            ],
        ),
        (
            "ssm",
            "AmazonSSM.GetParameter",
            {"Name": "/app/db/password"},
            [("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/db/password")],
        ),
        (
            "ssm",
            "AmazonSSM.GetParameters",
            {"Names": ["a", "/b"]},
            [
                ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a"),
                ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/b"),
            ],
        ),
        (
            "kms",
            "TrentService.Decrypt",
            {"KeyId": "1234abcd"},
            [("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd")],
        ),
        (
            "events",
            "AWSEvents.PutEvents",
            {"Entries": [{"Source": "x"}, {"EventBusName": "orders"}]},
            [
                ("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"),
                ("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders"),
            ],
        ),
        (
            "events",
            "AWSEvents.PutRule",
            {"Name": "nightly"},
            [("events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly")],
        ),
        (
            "kinesis",
            "Kinesis_20131202.PutRecord",
            {"StreamName": "clicks"},
            [("kinesis:PutRecord", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks")],
        ),
    ],
)
def test_json_services(signing_name, target, params, expected):
    assert json_call(signing_name, target, params)[1] == expected


@pytest.mark.parametrize(
    ("signing_name", "body", "expected"),
    [
        (
            "sns",
            b"Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts&Message=x",
            [("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts")],
        ),
        (
            "sns",
            b"Action=CreateTopic&Name=alerts",
            [("sns:CreateTopic", f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts")],
        ),
        (
            "sts",
            b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s",
            [("sts:AssumeRole", "arn:aws:iam::1:role/r")],
        ),
        (
            "iam",
            b"Action=AttachRolePolicy&RoleName=r&PolicyArn=arn%3Aaws%3Aiam%3A%3A1%3Apolicy%2Fp",
            [("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/r")],
        ),
    ],
)
def test_query_services(signing_name, body, expected):
    assert checks(signing_name, body=body)[1] == expected


def test_a_service_the_course_does_not_map_gets_prefix_and_operation_on_star():
    assert json_call(
        "cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", {}
    )[1] == [("cloudtrail:LookupEvents", "*")]

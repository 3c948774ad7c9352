"""Lesson 05 helpers: execution roles, resource-based policies, function URLs, VPC access,
secrets and the audit trail.

Each helper is one ordinary boto3 call (or a few) against the lab, so the lesson's cells stay
short: write an inline policy on a role, invoke a function and say in one line what happened,
read CloudTrail's event history. The lab enforces IAM for handlers (their execution role) and
for IAM users; the learner's own notebook identity is the account's administrator.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from course.lab import REGION
from course.lessons.integrations import http

VERSION = "2012-10-17"

# Reads one object named by the event; used for the AccessDenied walkthrough.
READER = """
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    return {"key": event["key"], "bytes": len(body)}
"""

# Summarises a report into a DynamoDB table; used to draft a least-privilege policy.
REPORTER = """
import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table("l05-summaries")


def handler(event, context):
    text = s3.get_object(Bucket="l05-data", Key="reports/2026.csv")["Body"].read().decode()
    rows = len(text.strip().splitlines()) - 1
    table.put_item(Item={"id": "2026", "rows": rows})
    return {"rows": rows}
"""

# Reads a password from Secrets Manager and an API key from SSM Parameter Store (SecureString).
# The environment holds only the names; the values are read at run time and never returned.
SECRET_READER = """
import os

import boto3

secrets, ssm = boto3.client("secretsmanager"), boto3.client("ssm")


def handler(event, context):
    password = secrets.get_secret_value(SecretId=os.environ["DB_SECRET"])["SecretString"]
    parameter = ssm.get_parameter(Name=os.environ["API_KEY_PARAMETER"], WithDecryption=True)
    api_key = parameter["Parameter"]["Value"]
    return {"password_chars": len(password), "api_key_chars": len(api_key)}
"""

# Who does what on Lambda (AWS's shared responsibility model, as the Lambda docs list it).
SHARED_RESPONSIBILITY: tuple[tuple[str, str], ...] = (
    ("Data centres, hardware, network and the hypervisor", "AWS"),
    ("Operating system, its patches and the language runtime's patches", "AWS"),
    ("Isolation between execution environments and between accounts", "AWS"),
    ("Scaling, availability and capacity of the Lambda service", "AWS"),
    ("Your function code and its dependencies (libraries, layers)", "You"),
    ("The execution role's permissions (least privilege)", "You"),
    ("Who may invoke the function (resource-based policy, function URL auth)", "You"),
    ("Secrets, data and its encryption choices (keys, who may decrypt)", "You"),
    ("Network settings: VPC attachment, security groups, endpoints", "You"),
    ("Watching logs and the audit trail (CloudTrail)", "You"),
)


def statement(action: str | list[str], resource: str | list[str], **extra: Any) -> dict:
    """One Allow statement (pass Effect="Deny", Condition=... or Sid=... as keywords)."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(*statements: dict) -> dict:
    """An IAM policy document made of `statements`."""
    return {"Version": VERSION, "Statement": list(statements)}


def grant(role: str, name: str, *statements: dict) -> None:
    """Put (or replace) the inline policy `name` on `role`; it applies from the next call."""
    boto3.client("iam").put_role_policy(
        RoleName=role, PolicyName=name, PolicyDocument=json.dumps(policy(*statements))
    )


def revoke(role: str, name: str) -> None:
    """Delete the inline policy `name` of `role`."""
    boto3.client("iam").delete_role_policy(RoleName=role, PolicyName=name)


def invoke(function: str, event: dict | None = None, client: Any = None) -> str:
    """Invoke `function` synchronously; one line: 'OK <result>' or '<errorType>: <message>'."""
    client = client or boto3.client("lambda")
    response = client.invoke(FunctionName=function, Payload=json.dumps(event or {}))
    body = json.loads(response["Payload"].read() or "null")
    if "FunctionError" in response:
        return f"{body['errorType']}: {body['errorMessage']}"
    return f"OK {json.dumps(body)}"


def caller_error(call: Any) -> str:
    """Run `call()` (a boto3 call) and say 'OK' or '<error code>: <message>'."""
    try:
        call()
    except ClientError as error:
        return f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"
    return "OK"


def trail(key: str, value: str, max_results: int = 50) -> list[dict]:
    """CloudTrail events whose `key` (EventName, Username, ResourceName...) is `value`.

    Newest first, each with its CloudTrailEvent JSON parsed into `detail`.
    """
    events = boto3.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}],
        MaxResults=max_results,
    )["Events"]
    return [{**event, "detail": json.loads(event["CloudTrailEvent"])} for event in events]


def describe_event(event: dict) -> str:
    """One line for an event: who did what, and the error code when it was denied."""
    detail = event.get("detail") or json.loads(event["CloudTrailEvent"])
    line = f"{event['Username']} called {detail['eventSource'].split('.')[0]}:{event['EventName']}"
    if detail.get("errorCode"):
        line += f" -> {detail['errorCode']}"
    return line


def table(name: str) -> str:
    """Create a DynamoDB table keyed by the string `id` (on-demand); return its ARN."""
    return boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]


def shared_responsibility_table() -> str:
    """The shared responsibility model for Lambda as a Markdown table."""
    rows = ["| Area | Who |", "|---|---|"]
    rows += [f"| {area} | {who} |" for area, who in SHARED_RESPONSIBILITY]
    return "\n".join(rows)


# -- Function URLs ------------------------------------------------------------------------
def user_credentials(name: str, *statements: dict) -> Credentials:
    """A new IAM user with an inline policy of `statements`, and its access key."""
    iam = boto3.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(
            UserName=name,
            PolicyName=f"{name}-policy",
            PolicyDocument=json.dumps(policy(*statements)),
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def call_url(url: str, credentials: Credentials | None = None, body: str = "") -> str:
    """POST to a function URL, signed with SigV4 (service lambda) when credentials are given;
    one line: the status and the body."""
    headers = {"Content-Type": "application/json"}
    if credentials is not None:
        request = AWSRequest(method="POST", url=url, data=body.encode(), headers=headers)
        SigV4Auth(credentials, "lambda", REGION).add_auth(request)
        headers = dict(request.headers)
    status, _, text = http(url, "POST", body, headers)
    return f"{status} {text}"


# -- VPC access -----------------------------------------------------------------------------
ENI_ACTIONS = [  # what AWSLambdaVPCAccessExecutionRole allows
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
]


def private_network(cidr: str = "10.0.0.0/16") -> dict[str, str]:
    """A VPC with one private subnet (its own route table, no route out) and a security group."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet["SubnetId"])
    group = ec2.create_security_group(GroupName="l05-fn", Description="l05", VpcId=vpc)
    return {"vpc": vpc, "subnet": subnet["SubnetId"], "table": table, "group": group["GroupId"]}


def vpc_config(network: dict[str, str]) -> dict[str, list[str]]:
    """The function's VpcConfig for `network`."""
    return {"SubnetIds": [network["subnet"]], "SecurityGroupIds": [network["group"]]}


def wait_active(function: str) -> str:
    """Wait while Lambda creates the function's network interface; return its State."""
    lam = boto3.client("lambda")
    lam.get_waiter("function_active").wait(
        FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 10}
    )
    return lam.get_function_configuration(FunctionName=function)["State"]

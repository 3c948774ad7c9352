"""Checks for the security exercises: each puts the learner's answer to work under the lab's IAM.

The lab enforces IAM for handlers (their execution role) and IAM users. A check attaches the
learner's policy to a role or a user, makes real calls with it (a probe function that runs a
list of boto3 calls as that role, or a client with the user's keys), and judges which calls
were allowed and which were refused. Resource-based policies are judged by what S3 accepts and
by the lab's own policy evaluator; CloudTrail answers by the lab's event history. Each check
prints one verdict line, never the answer.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import course.lab
from course.grading import hints
from course.grading.checks import answered, handler_code, report
from course.lab.iam.policy import Request, evaluate
from course.lab.iam.principals import function_policy
from course.lessons import security

hint = hints.for_lesson("05")
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)
OTHER_ACCOUNT = "111122223333"  # an account that is not the lab's

# The exercises' own scenario values (not AWS facts).
Q1_BUCKET, Q1_OTHER_BUCKET, Q1_PREFIX = "l05-q1-archive", "l05-q1-other", "shared/"
Q1_INSIDE = ("shared/a.txt", "shared/2026/b.txt")
Q1_OUTSIDE = ("private/c.txt", "sharedx.txt")
Q2_FUNCTION, Q2_TABLE, Q2_OTHER_TABLE = "l05-q2-orders", "l05-q2-orders", "l05-q2-audit"
Q3_FUNCTIONS = ("l05-q3-ingest", "l05-q3-billing", "l05-q3-cleanup")
Q3_BUCKET, Q3_TOPIC = "l05-q3-files", "l05-q3-invoices"
Q4_FUNCTION, Q4_BUCKET, Q4_OTHER_BUCKET = "l05-q4-resize", "l05-q4-uploads", "l05-q4-public"
Q5_FUNCTION, Q5_SECRET, Q5_OTHER_SECRET = "l05-q5-app", "l05/q5/db", "l05/q5/admin"
Q5_CREDENTIALS = {"username": "app", "password": "correct-horse-battery-staple"}
Q6_FUNCTION, Q6_BUCKET, Q6_TABLE, Q6_QUEUE = "l05-q6-etl", "l05-q6-raw", "l05-q6-rows", "l05-q6-out"
Q7_USER, Q7_FUNCTION, Q7_OTHER_FUNCTION = "l05-q7-dev", "l05-q7-api", "l05-q7-admin"

# Runs the boto3 calls its event lists, as its execution role; answers "ok" or the error code.
PROBE = """
import boto3
import botocore


def handler(event, context):
    results = []
    for service, method, params in event["calls"]:
        try:
            getattr(boto3.client(service), method)(**params)
        except botocore.exceptions.ClientError as error:
            results.append(error.response["Error"]["Code"])
        else:
            results.append("ok")
    return results
"""

Q2_HANDLER = f"""
import boto3

table = boto3.resource("dynamodb").Table("{Q2_TABLE}")


def handler(event, context):
    table.put_item(Item={{"id": event["order"], "status": "received"}})
    return table.get_item(Key={{"id": event["order"]}})["Item"]["status"]
"""

Q3_HANDLERS = {
    "l05-q3-ingest": f"""
import boto3
def handler(event, context):
    boto3.client("s3").put_object(Bucket="{Q3_BUCKET}", Key="in/day.csv", Body=b"a,b")
""",
    "l05-q3-billing": f"""
import boto3
def handler(event, context):
    topic = "arn:aws:sns:us-east-1:{course.lab.ACCOUNT_ID}:{Q3_TOPIC}"
    boto3.client("sns").publish(TopicArn=topic, Message="invoice ready")
""",
    "l05-q3-cleanup": f"""
import boto3
def handler(event, context):
    s3 = boto3.client("s3")
    s3.get_object(Bucket="{Q3_BUCKET}", Key="in/day.csv")
    try:
        s3.delete_object(Bucket="{Q3_BUCKET}", Key="in/day.csv")
    except Exception:
        pass  # swallowed: the function "succeeds", and only the audit trail shows the denial
""",
}

Q6_HANDLER = f"""
import boto3

queue = boto3.client("sqs").get_queue_url(QueueName="{Q6_QUEUE}")["QueueUrl"]


def handler(event, context):
    text = boto3.client("s3").get_object(Bucket="{Q6_BUCKET}", Key="in/rows.csv")["Body"].read()
    rows = text.decode().split()
    table = boto3.resource("dynamodb").Table("{Q6_TABLE}")
    for row in rows:
        table.put_item(Item={{"id": row}})
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody=str(len(rows)))
    return len(rows)
"""


# -- shared helpers ----------------------------------------------------------------------
def _lambda() -> Any:
    course.lab.start()
    return boto3.client("lambda", config=NO_RETRY)


def _fresh_role(name: str) -> str:
    """Role `name` with no policies left from an earlier run; its ARN."""
    lab = course.lab.start()
    iam = boto3.client("iam")
    arn = lab.execution_role(name)
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    return arn


def _deploy(name: str, source: str, role: str, env: dict[str, str] | None = None) -> str:
    """(Re)create function `name` with `role`; its ARN."""
    client = _lambda()
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_function(FunctionName=name)
    return course.lab.start().deploy(name, source, role=role, env=env)["FunctionArn"]


def _bucket(name: str, *keys: str) -> None:
    s3 = boto3.client("s3")
    with contextlib.suppress(ClientError):
        s3.create_bucket(Bucket=name)
    for key in keys:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())


def _table(name: str) -> None:
    with contextlib.suppress(ClientError):
        security.table(name)


def _put_policy(question: str, role: str, document: object, name: str, checked: str) -> bool:
    """Attach `document` as an inline policy of `role`; a 'not yet' verdict if IAM refuses it."""
    if not isinstance(document, dict):
        report(question, False, checked, f"`{name}` should be a policy document (a dict).")
        return False
    try:
        boto3.client("iam").put_role_policy(
            RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document)
        )
    except (ClientError, TypeError, ValueError) as error:
        report(question, False, checked, f"IAM refused the policy: {error}")
        return False
    return True


def probe(role: str, calls: Iterable[tuple[str, str, dict]], name: str) -> list[str]:
    """Run `calls` from a function with execution role `role`: 'ok' or the error code each."""
    _deploy(name, PROBE, role)
    event = {"calls": [list(call) for call in calls]}
    response = _lambda().invoke(FunctionName=name, Payload=json.dumps(event))
    return json.loads(response["Payload"].read())


def _invoke(function: str, event: dict | None = None) -> tuple[bool, Any]:
    """(succeeded, result or error) of a synchronous invocation; an AWS error by its code."""
    response = _lambda().invoke(FunctionName=function, Payload=json.dumps(event or {}))
    body = json.loads(response["Payload"].read() or "null")
    if "FunctionError" in response:
        code = re.search(r"An error occurred \((\w+)\)", str(body.get("errorMessage")))
        return False, code.group(1) if code else body.get("errorType")
    return True, body


# -- Q1: read one prefix of one bucket ---------------------------------------------------
def check_q1(q1_policy: object) -> None:
    """A handler under the policy must read shared/ of the archive bucket and nothing else."""
    checked = (
        f"get_object from a handler under your policy: {len(Q1_INSIDE)} objects under "
        f"{Q1_PREFIX} allowed, other keys, the other bucket and other actions refused"
    )
    if not answered("Q1", q1_policy, "q1_policy"):
        return
    _bucket(Q1_BUCKET, *Q1_INSIDE, *Q1_OUTSIDE)
    _bucket(Q1_OTHER_BUCKET, Q1_INSIDE[0])
    role = "l05-q1-reader-role"
    _fresh_role(role)
    if not _put_policy("Q1", role, q1_policy, "q1_policy", checked):
        return
    inside = [("s3", "get_object", {"Bucket": Q1_BUCKET, "Key": k}) for k in Q1_INSIDE]
    outside = [
        *[("s3", "get_object", {"Bucket": Q1_BUCKET, "Key": k}) for k in Q1_OUTSIDE],
        ("s3", "get_object", {"Bucket": Q1_OTHER_BUCKET, "Key": Q1_INSIDE[0]}),
        ("s3", "put_object", {"Bucket": Q1_BUCKET, "Key": Q1_INSIDE[0], "Body": "x"}),
        ("s3", "delete_object", {"Bucket": Q1_BUCKET, "Key": Q1_INSIDE[0]}),
        ("s3", "get_object_tagging", {"Bucket": Q1_BUCKET, "Key": Q1_INSIDE[0]}),
        ("s3", "list_objects_v2", {"Bucket": Q1_BUCKET, "Prefix": Q1_PREFIX}),
    ]
    results = probe(course.lab.start().execution_role(role), [*inside, *outside], "l05-q1-reader")
    reads_ok = all(r == "ok" for r in results[: len(inside)])
    refused = all(r == "AccessDenied" for r in results[len(inside) :])
    if not reads_ok:
        hint = f"reading objects under {Q1_PREFIX} was refused; check the action and the ARN."
    else:
        hint = "some calls outside the question were allowed: narrow the action or the ARN."
    report("Q1", reads_ok and refused, checked, hint)


# -- Q2: fix a real AccessDenied without redeploying -------------------------------------
def deploy_q2_function() -> str:
    """Q2 set-up: the orders function with a role that allows nothing; its first error."""
    _table(Q2_TABLE)
    _table(Q2_OTHER_TABLE)
    role = _fresh_role(f"{Q2_FUNCTION}-role")
    _deploy(Q2_FUNCTION, Q2_HANDLER, role)
    return security.invoke(Q2_FUNCTION, {"order": "o-1"}, client=_lambda())


def check_q2(q2_policy: object) -> None:
    """The orders function must work now (no redeploy), and its role allow nothing more.

    The learner attaches `q2_policy` to the role themselves; the check reads the role live.
    """
    checked = (
        "the orders function invoked as deployed, then its role's other DynamoDB actions and "
        "tables probed"
    )
    if not answered("Q2", q2_policy, "q2_policy"):
        return
    lam = _lambda()
    config = lam.get_function_configuration(FunctionName=Q2_FUNCTION)
    ok, result = _invoke(Q2_FUNCTION, {"order": "o-2"})
    if not ok:
        hint = (
            f"the function still fails with {result}: attach your policy to its role, "
            f"and read lab.explain_denial('{Q2_FUNCTION}')."
        )
        report("Q2", False, checked, hint)
        return
    item = {"id": {"S": "o-2"}}
    table_call = {"TableName": Q2_TABLE, "Key": item}
    results = probe(
        config["Role"],
        [
            ("dynamodb", "delete_item", table_call),
            ("dynamodb", "scan", {"TableName": Q2_TABLE}),
            ("dynamodb", "put_item", {"TableName": Q2_OTHER_TABLE, "Item": item}),
            ("dynamodb", "update_item", table_call),
        ],
        "l05-q2-probe",
    )
    narrow = all(r == "AccessDeniedException" for r in results)
    hint = "the role allows more than the function calls: only the two actions, on one table."
    report("Q2", narrow, checked, hint)


# -- Q3: find the denied call in CloudTrail ----------------------------------------------
def run_q3_functions() -> str:
    """Q3 set-up: three functions run; one of their calls is refused (and swallowed)."""
    _bucket(Q3_BUCKET)
    topic = boto3.client("sns").create_topic(Name=Q3_TOPIC)["TopicArn"]
    allow = {
        "l05-q3-ingest": [security.statement("s3:PutObject", f"arn:aws:s3:::{Q3_BUCKET}/in/*")],
        "l05-q3-billing": [security.statement("sns:Publish", topic)],
        "l05-q3-cleanup": [security.statement("s3:GetObject", f"arn:aws:s3:::{Q3_BUCKET}/in/*")],
    }
    for name in Q3_FUNCTIONS:
        role = f"{name}-role"
        _fresh_role(role)
        security.grant(role, "app", *allow[name])
        _deploy(name, Q3_HANDLERS[name], course.lab.start().execution_role(role))
    outcomes = [_invoke(name)[0] for name in Q3_FUNCTIONS]
    return f"Ran {len(Q3_FUNCTIONS)} functions; {sum(outcomes)} of them reported success."


def _denied_in_trail() -> set[tuple[str, str]]:
    found = set()
    for name in Q3_FUNCTIONS:
        for event in security.trail("Username", name):
            if json.loads(event["CloudTrailEvent"]).get("errorCode"):
                found.add((name, event["EventName"]))
    return found


def check_q3(q3_function: object, q3_event_name: object) -> None:
    """The (function, EventName) given must be the call CloudTrail recorded as denied."""
    checked = (
        f"your answer against the denied calls of the {len(Q3_FUNCTIONS)} functions in CloudTrail"
    )
    if not answered("Q3", q3_function, "q3_function"):
        return
    if not answered("Q3", q3_event_name, "q3_event_name"):
        return
    denied = _denied_in_trail()
    if not denied:
        report("Q3", False, checked, "run the set-up cell first: CloudTrail has no denial yet.")
        return
    names = {name for name, _ in denied}
    if q3_function not in names:
        hint = "that function made no denied call; look for events with an errorCode."
    else:
        hint = "right function; the event name is CloudTrail's EventName, e.g. 'GetObject'."
    report("Q3", (q3_function, q3_event_name) in denied, checked, hint)


# -- Q4: S3 may invoke, for one bucket of this account -----------------------------------
def deploy_q4_function() -> str:
    """Q4 set-up: the resize function (no resource-based policy yet) and two buckets."""
    _bucket(Q4_BUCKET)
    _bucket(Q4_OTHER_BUCKET)
    for bucket in (Q4_BUCKET, Q4_OTHER_BUCKET):
        boto3.client("s3").put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={}
        )
    role = _fresh_role(f"{Q4_FUNCTION}-role")
    return _deploy(Q4_FUNCTION, "def handler(event, context):\n    return 'resized'\n", role)


def _s3_may_invoke(function_arn: str, bucket: str, account: str) -> bool:
    """Whether the function's resource-based policy lets S3 invoke it for `bucket` in `account`."""
    found = function_policy(course.lab.ACCOUNT_ID, course.lab.REGION, function_arn)
    if found is None:
        return False
    context = {"aws:SourceArn": f"arn:aws:s3:::{bucket}", "aws:SourceAccount": account}
    request = Request("s3.amazonaws.com", "lambda:InvokeFunction", function_arn, context)
    return evaluate(request, [found]).allowed


def check_q4() -> None:
    """S3 must invoke for the uploads bucket of this account and for nothing else."""
    checked = (
        "notifications from the uploads bucket and from another bucket, an upload, and the "
        "function's policy evaluated for the same bucket name in another account"
    )
    lab, s3 = course.lab.start(), boto3.client("s3")
    arn = _lambda().get_function(FunctionName=Q4_FUNCTION)["Configuration"]["FunctionArn"]
    config = {
        "LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    accepted = []
    for bucket in (Q4_BUCKET, Q4_OTHER_BUCKET):
        try:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=config
            )
        except ClientError:
            accepted.append(False)
        else:
            accepted.append(True)
    before = sum(1 for i in lab.invocations if i.function == Q4_FUNCTION)
    if accepted[0]:
        s3.put_object(Bucket=Q4_BUCKET, Key="cat.jpg", Body=b"photo")
        lab.wait()
    ran = sum(1 for i in lab.invocations if i.function == Q4_FUNCTION) - before
    for bucket in (Q4_BUCKET, Q4_OTHER_BUCKET):
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    cross_account = _s3_may_invoke(arn, Q4_BUCKET, OTHER_ACCOUNT)
    if not accepted[0] or ran != 1:
        hint = "S3 may not invoke the function for the uploads bucket yet (add_permission)."
    elif accepted[1]:
        hint = "another bucket may invoke the function too: scope the permission to one bucket."
    else:
        hint = "a bucket of that name in another account could invoke it: scope the account too."
    report("Q4", accepted == [True, False] and ran == 1 and not cross_account, checked, hint)


# -- Q5: a secret read under least privilege ---------------------------------------------
def create_q5_secrets() -> str:
    """Q5 set-up: the database secret (JSON username and password) and an admin secret."""
    client = boto3.client("secretsmanager")
    value = json.dumps(Q5_CREDENTIALS)
    arns = []
    for name, secret in ((Q5_SECRET, value), (Q5_OTHER_SECRET, json.dumps({"password": "root"}))):
        try:
            arns.append(client.create_secret(Name=name, SecretString=secret)["ARN"])
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=secret)
            arns.append(client.describe_secret(SecretId=name)["ARN"])
    return arns[0]


def check_q5(q5_source: object, q5_env: object, q5_policy: object) -> None:
    """The handler must read the database user from the secret, with no secret in its
    environment and a role that can read nothing else."""
    checked = (
        "your handler deployed with your environment and policy, invoked, then its role probed "
        "on the other secret and other Secrets Manager actions"
    )
    code = handler_code("Q5", q5_source, "q5_source")
    if code is None:
        return
    if not answered("Q5", q5_env, "q5_env") or not isinstance(q5_env, dict):
        report("Q5", False, checked, "`q5_env` should be a dict of environment variables.")
        return
    secret = Q5_CREDENTIALS["password"]
    if any(secret in str(v) for v in q5_env.values()):
        report("Q5", False, checked, "the password is in the environment: keep only names there.")
        return
    if not answered("Q5", q5_policy, "q5_policy"):
        return
    create_q5_secrets()  # an earlier, too-broad answer may have let the probe overwrite it
    role = f"{Q5_FUNCTION}-role"
    _fresh_role(role)
    if not _put_policy("Q5", role, q5_policy, "q5_policy", checked):
        return
    role_arn = course.lab.start().execution_role(role)
    _deploy(Q5_FUNCTION, code, role_arn, env={k: str(v) for k, v in q5_env.items()})
    ok, result = _invoke(Q5_FUNCTION)
    if not ok or result != {"user": Q5_CREDENTIALS["username"]}:
        hint = f"the handler failed with {result}." if not ok else "return {'user': <username>}."
        report("Q5", False, checked, hint)
        return
    results = probe(
        role_arn,
        [
            ("secretsmanager", "get_secret_value", {"SecretId": Q5_OTHER_SECRET}),
            ("secretsmanager", "put_secret_value", {"SecretId": Q5_SECRET, "SecretString": "x"}),
            ("secretsmanager", "list_secrets", {}),
        ],
        "l05-q5-probe",
    )
    narrow = all(r == "AccessDeniedException" for r in results)
    report("Q5", narrow, checked, "the role can do more than read the one secret: narrow it.")


# -- Q6: a policy drafted from the calls a function made ---------------------------------
def run_q6_function() -> str:
    """Q6 set-up: run the ETL function once with enforcement off, so its calls are recorded."""
    lab = course.lab.start()
    _bucket(Q6_BUCKET)
    boto3.client("s3").put_object(Bucket=Q6_BUCKET, Key="in/rows.csv", Body=b"a b c")
    _table(Q6_TABLE)
    boto3.client("sqs").create_queue(QueueName=Q6_QUEUE)
    role = _fresh_role(f"{Q6_FUNCTION}-role")
    _deploy(Q6_FUNCTION, Q6_HANDLER, role)
    enforcing = lab.enforce_iam
    lab.enforce_iam = False
    try:
        ok, _ = _invoke(Q6_FUNCTION)
    finally:
        lab.enforce_iam = enforcing
    return f"{Q6_FUNCTION} ran once with enforcement off: {'succeeded' if ok else 'failed'}."


def check_q6(q6_policy: object) -> None:
    """Under enforcement and your policy the ETL function must work, and nothing else."""
    checked = "the ETL function invoked under your policy, then its role probed on other calls"
    if not answered("Q6", q6_policy, "q6_policy"):
        return
    role = f"{Q6_FUNCTION}-role"
    _fresh_role(role)
    if not _put_policy("Q6", role, q6_policy, "q6_policy", checked):
        return
    ok, result = _invoke(Q6_FUNCTION)
    if not ok:
        report("Q6", False, checked, f"the function failed with {result}.")
        return
    queue = boto3.client("sqs").get_queue_url(QueueName=Q6_QUEUE)["QueueUrl"]
    results = probe(
        course.lab.start().execution_role(role),
        [
            ("s3", "put_object", {"Bucket": Q6_BUCKET, "Key": "in/rows.csv", "Body": "x"}),
            ("s3", "get_object", {"Bucket": Q6_BUCKET, "Key": "out/other.csv"}),
            ("dynamodb", "delete_item", {"TableName": Q6_TABLE, "Key": {"id": {"S": "a"}}}),
            ("sqs", "receive_message", {"QueueUrl": queue}),
        ],
        "l05-q6-probe",
    )
    narrow = all(r in ("AccessDenied", "AccessDeniedException") for r in results)
    hint = "the role allows calls the function never made: start from the drafted policy."
    report("Q6", narrow, checked, hint)


# -- Q7: an IAM user who may invoke one function -----------------------------------------
def _fresh_user(name: str) -> None:
    iam = boto3.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=name)
    for policy_name in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=policy_name)
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])


def _q7_functions(again: bool) -> None:
    client = _lambda()
    for name in (Q7_FUNCTION, Q7_OTHER_FUNCTION):
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            if not again:
                client.get_function(FunctionName=name)
                continue
        role = _fresh_role(f"{name}-role")
        _deploy(name, "def handler(event, context):\n    return 'ok'\n", role)


def deploy_q7_functions() -> str:
    """Q7 set-up: the API function the developer may call and the admin one they may not."""
    _q7_functions(again=True)
    _fresh_user(Q7_USER)
    return f"Deployed {Q7_FUNCTION} and {Q7_OTHER_FUNCTION}; created the IAM user {Q7_USER}."


def check_q7(q7_policy: object) -> None:
    """With the user's own keys: invoking the API function works, everything else is refused."""
    checked = f"calls with {Q7_USER}'s access key: invoke both functions, change and delete one"
    if not answered("Q7", q7_policy, "q7_policy"):
        return
    if not isinstance(q7_policy, dict):
        report("Q7", False, checked, "`q7_policy` should be a policy document (a dict).")
        return
    _q7_functions(again=False)  # a too-broad answer may have deleted one on an earlier run
    iam = boto3.client("iam")
    _fresh_user(Q7_USER)
    try:
        iam.put_user_policy(
            UserName=Q7_USER, PolicyName="q7_policy", PolicyDocument=json.dumps(q7_policy)
        )
    except ClientError as error:
        report("Q7", False, checked, f"IAM refused the policy: {error}")
        return
    key = iam.create_access_key(UserName=Q7_USER)["AccessKey"]
    as_user = boto3.client(
        "lambda",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=NO_RETRY,
    )
    calls = [
        lambda: as_user.invoke(FunctionName=Q7_FUNCTION),
        lambda: as_user.invoke(FunctionName=Q7_OTHER_FUNCTION),
        lambda: as_user.update_function_configuration(FunctionName=Q7_FUNCTION, Timeout=9),
        lambda: as_user.delete_function(FunctionName=Q7_FUNCTION),
    ]
    results = [security.caller_error(call).split(":")[0] for call in calls]
    if results[0] != "OK":
        hint = "the developer cannot invoke the API function yet."
    else:
        hint = "the developer can do more than invoke the API function: narrow the policy."
    passed = results[0] == "OK" and all(r == "AccessDeniedException" for r in results[1:])
    report("Q7", passed, checked, hint)

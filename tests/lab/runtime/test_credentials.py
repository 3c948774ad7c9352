"""Each execution environment signs with its own role's credentials, never the template's."""

import json

import boto3

WHO_AM_I = """
import boto3

SESSION = boto3.DEFAULT_SESSION
UNSIGNED_AT_INIT = SESSION is None or SESSION._session._credentials is None
sts = boto3.client("sts")


def handler(event, context):
    return {"arn": sts.get_caller_identity()["Arn"], "unsigned_at_init": UNSIGNED_AT_INIT}
"""


def test_default_clients_use_each_functions_own_role(lab):
    lam = boto3.client("lambda")
    answers = {}
    for name in ("reader", "writer"):
        lab.deploy(name, WHO_AM_I, role=lab.execution_role(f"{name}-own-role"))
        answers[name] = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert answers["reader"]["arn"].endswith(":assumed-role/reader-own-role/reader")
    assert answers["writer"]["arn"].endswith(":assumed-role/writer-own-role/writer")
    assert all(answer["unsigned_at_init"] for answer in answers.values())

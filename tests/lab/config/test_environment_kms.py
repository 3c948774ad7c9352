"""Environment variables encrypted with a customer managed key: KMSKeyArn is kept and shown."""

import boto3


def test_a_customer_key_is_accepted_and_shown(lab, lam):
    key = boto3.client("kms").create_key(Description="course key")["KeyMetadata"]["Arn"]
    code = "import os\n\ndef handler(event, context):\n    return os.environ['STAGE']\n"
    decrypt = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}  # the lab enforces it
    role = lab.execution_role("kms-env-role", {"Version": "2012-10-17", "Statement": [decrypt]})
    created = lab.deploy("kms-env", code, env={"STAGE": "prod"}, KMSKeyArn=key, role=role)
    assert created["KMSKeyArn"] == key
    assert lam.get_function_configuration(FunctionName="kms-env")["KMSKeyArn"] == key
    assert lam.invoke(FunctionName="kms-env")["Payload"].read() == b'"prod"'

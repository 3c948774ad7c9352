"""Environment variables encrypted with a customer managed key: KMSKeyArn is kept and shown."""

import boto3
import pytest


def test_a_customer_key_is_accepted_and_shown(lab, lam):
    key = boto3.client("kms").create_key(Description="course key")["KeyMetadata"]["Arn"]
    code = "import os\n\ndef handler(event, context):\n    return os.environ['STAGE']\n"
    decrypt = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}  # the lab enforces it
    role = lab.execution_role("kms-env-role", {"Version": "2012-10-17", "Statement": [decrypt]})
    created = lab.deploy("kms-env", code, env={"STAGE": "prod"}, KMSKeyArn=key, role=role)
    assert created["KMSKeyArn"] == key
    assert lam.get_function_configuration(FunctionName="kms-env")["KMSKeyArn"] == key
    assert lam.invoke(FunctionName="kms-env")["Payload"].read() == b'"prod"'


def test_a_key_set_by_update_is_kept_shown_enforced_and_removed_with_an_empty_string(lab, lam):
    key = boto3.client("kms").create_key(Description="later key")["KeyMetadata"]["Arn"]
    code = "import os\n\ndef handler(event, context):\n    return os.environ['STAGE']\n"
    lab.deploy("kms-later", code, env={"STAGE": "prod"}, role=lab.execution_role("no-kms-role"))
    assert lam.invoke(FunctionName="kms-later")["Payload"].read() == b'"prod"'
    updated = lam.update_function_configuration(FunctionName="kms-later", KMSKeyArn=key)
    assert updated["KMSKeyArn"] == key
    assert lam.get_function_configuration(FunctionName="kms-later")["KMSKeyArn"] == key
    with pytest.raises(lam.exceptions.KMSAccessDeniedException, match="kms:Decrypt"):
        lam.invoke(FunctionName="kms-later")  # the role may not use the new key
    lam.update_function_configuration(FunctionName="kms-later", KMSKeyArn="")
    assert not lam.get_function_configuration(FunctionName="kms-later").get("KMSKeyArn")
    assert lam.invoke(FunctionName="kms-later")["Payload"].read() == b'"prod"'

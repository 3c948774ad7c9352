"""Layers: their python folders are importable, later layers win, AWS's limits are enforced."""

import io
import json
import sys
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

from course.facts import fact

USES_LAYERS = """
import os, sys
import helper

def handler(event, context):
    import extra
    return [helper.WHO, extra.WHO, sys.path.index("/opt/python") > 0,
            os.environ["PATH"].endswith("/opt/bin"), helper.__file__, "LAMBDA_OPT" in os.environ]
"""
SITE = f"python/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def _zip(files: dict[str, str | bytes], level: int = 6) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _layer(lam, name, files):
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": _zip(files)})[
        "LayerVersionArn"
    ]


def test_layer_modules_import_and_a_later_layer_replaces_a_file(lab, lam):
    first = _layer(lam, "first", {"python/helper.py": "WHO = 'first'\n"})
    second = _layer(
        lam,
        "second",
        {"python/helper.py": "WHO = 'second'\n", f"{SITE}/extra.py": "WHO = 'site'\n"},
    )
    lab.deploy("layered", USES_LAYERS, Layers=[first, second])
    payload = json.loads(lam.invoke(FunctionName="layered")["Payload"].read())
    assert payload == ["second", "site", True, True, "/opt/python/helper.py", False]


def test_adding_a_layer_later_reaches_the_next_invocation(lab, lam):
    lab.deploy("late", "def handler(e, c):\n    import helper\n    return helper.WHO\n")
    response = lam.invoke(FunctionName="late")
    assert json.loads(response["Payload"].read())["errorType"] == "ModuleNotFoundError"
    arn = _layer(lam, "late-layer", {"python/helper.py": "WHO = 'late'\n"})
    lam.update_function_configuration(FunctionName="late", Layers=[arn])
    assert json.loads(lam.invoke(FunctionName="late")["Payload"].read()) == "late"


def test_more_layers_than_the_maximum_are_refused(lab, lam):
    most = fact("layers.max_per_function").value
    arns = [_layer(lam, f"many-{i}", {f"python/m{i}.py": ""}) for i in range(most + 1)]
    lab.deploy("few", "def handler(e, c):\n    return 1\n", Layers=arns[:most])
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.update_function_configuration(FunctionName="few", Layers=arns)
    assert f"Cannot reference more than {most} layers." in str(caught.value)
    with pytest.raises(ClientError) as caught:
        lab.deploy("too-many", "def handler(e, c):\n    return 1\n", Layers=arns)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_code_and_layers_over_the_unzipped_limit_are_refused(lab, lam):
    limit = fact("package.unzipped_max_mb").value * 1024 * 1024
    half = b"\0" * (limit // 2)
    big = lam.publish_layer_version(
        LayerName="big", Content={"ZipFile": _zip({"python/big.bin": half}, level=1)}
    )["LayerVersionArn"]
    source = "def handler(e, c):\n    return 1\n"
    code = _zip({"app.py": source, "data.bin": half}, level=1)
    role = lab.execution_role("big-role")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        boto3.client("lambda").create_function(
            FunctionName="too-big",
            Role=role,
            Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
            Handler="app.handler",
            Code={"ZipFile": code},
            Layers=[big],
        )
    message = str(caught.value)
    assert f"exceeds the maximum allowed size of {limit} bytes" in message
    assert f"The actual size is {2 * len(half) + len(source)} bytes" in message

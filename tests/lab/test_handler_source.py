"""Lab.handler_source: the deployed code of a function's handler module, read from the lab."""

import boto3
import pytest


def test_a_code_string_comes_back_as_deployed(lab):
    code = "def handler(event, context):\n    return 'hi'\n"
    lab.deploy("src-string", code)
    assert lab.handler_source("src-string") == code


def test_the_module_follows_the_handler_setting(lab, tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "orders.py").write_text("def place(event, context):\n    return 1\n")
    (tmp_path / "helpers.py").write_text("X = 1\n")
    lab.deploy("src-folder", tmp_path, handler="pkg.orders.place")
    assert lab.handler_source("src-folder").startswith("def place(event, context):")


def test_missing_functions_and_modules_are_resource_not_found(lab):
    with pytest.raises(KeyError, match="ResourceNotFoundException: Function not found: nowhere"):
        lab.handler_source("nowhere")
    lab.deploy("src-mismatch", "def handler(event, context):\n    pass\n")
    boto3.client("lambda").update_function_configuration(
        FunctionName="src-mismatch", Handler="other.handler"
    )
    with pytest.raises(KeyError, match="has no module other.py"):
        lab.handler_source("src-mismatch")

"""The %%handler cell magic, in a real kernel: it deploys, updates, and explains bad options."""

import os

import nbformat
import pytest
from nbclient import NotebookClient

from course.lessons import handler_magic, notebooks

CELLS = {
    "load": "%load_ext course.lessons.handler_magic",
    "create": (
        "%%handler hello --memory 256 --timeout 4 --env STAGE=dev MODE=test\n"
        "import os\n\n"
        "def handler(event, context):\n"
        '    return {"v": 1, "stage": os.environ["STAGE"], "memory": context.memory_limit_in_mb}'
    ),
    "invoke1": (
        "import json, boto3\n"
        "lam = boto3.client('lambda')\n"
        "print(json.loads(lam.invoke(FunctionName='hello')['Payload'].read()))"
    ),
    "update": (
        '%%handler hello --handler main.entry\ndef entry(event, context):\n    return {"v": 2}'
    ),
    "invoke2": (
        "config = lam.get_function_configuration(FunctionName='hello')\n"
        "print(json.loads(lam.invoke(FunctionName='hello')['Payload'].read()))\n"
        "print(config['Handler'], config['MemorySize'], config['Timeout'], "
        "config.get('Environment', {}).get('Variables', {}))\n"
        "from course.lessons.handler_magic import source\n"
        "print(source('hello').splitlines()[0])"
    ),
    "not_an_int": "%%handler hello --memory lots\ndef handler(event, context):\n    pass",
    "unknown_option": "%%handler hello --memroy 256\ndef handler(event, context):\n    pass",
    "bad_env": "%%handler hello --env STAGE\ndef handler(event, context):\n    pass",
    "too_much_memory": "%%handler hello --memory 999999\ndef handler(event, context):\n    pass",
    "no_name": "%%handler\ndef handler(event, context):\n    pass",
    "bad_name": "%%handler hello world!\ndef handler(event, context):\n    pass",
    "empty": "%%handler empty\n\n    \n",
    "syntax": "%%handler broken\ndef handler(event, context)\n    pass",
}


@pytest.fixture(scope="module")
def ran():
    """Run every cell in one fresh kernel (errors allowed); outputs by cell name."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in CELLS.values()])
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True)
    client.execute(env=notebooks.offline_env(os.environ))
    result = {}
    for name, cell in zip(CELLS, nb.cells, strict=True):
        text = "".join(o.get("text", "") for o in cell.outputs)
        errors = [f"{o['ename']}: {o['evalue']}" for o in cell.outputs if o.output_type == "error"]
        result[name] = (text, errors)
    return result


def test_the_cell_creates_the_function_with_its_options(ran):
    text, errors = ran["create"]
    assert not errors
    assert text.splitlines()[:4] == [
        "Function hello created.",
        "FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:hello",
        "State: Active",
        "Handler: app.handler | Memory: 256 MB | Timeout: 4 s | Environment: MODE=test, STAGE=dev",
    ]
    payload = ran["invoke1"][0].replace("'256'", "256")  # AWS's context gives it as text
    assert payload == "{'v': 1, 'stage': 'dev', 'memory': 256}\n"


def test_running_it_again_updates_code_and_configuration(ran):
    text, errors = ran["update"]
    assert not errors
    assert text.startswith("Function hello updated (code and configuration).\n")
    assert "a cold start" in text
    payload, handler, rest = ran["invoke2"][0].split("\n", 2)
    assert payload == "{'v': 2}"
    assert handler == "main.entry 128 3 {}"  # left-out settings go back to AWS's defaults
    assert rest == "def entry(event, context):\n"  # source() is the cell's code


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("not_an_int", "InvalidParameterValueException: argument --memory: invalid int value"),
        ("unknown_option", "InvalidParameterValueException: unrecognized arguments: --memroy"),
        ("bad_env", "InvalidParameterValueException: --env takes KEY=VALUE pairs, not 'STAGE'"),
        ("too_much_memory", "'MemorySize' value failed to satisfy constraint"),
        ("no_name", "the following arguments are required: name"),
        ("bad_name", "unrecognized arguments: world!"),
        ("empty", "the %%handler empty cell has no code"),
    ],
)
def test_a_bad_cell_says_what_is_wrong(ran, cell, message):
    text, errors = ran[cell]
    assert len(errors) == 1 and errors[0].startswith("HandlerCellError: ")
    assert message in errors[0]
    if "Usage" in errors[0]:
        assert handler_magic.USAGE in errors[0]


def test_code_with_a_syntax_error_is_deployed_with_a_note(ran):
    text, errors = ran["syntax"]
    assert not errors and "Function broken created." in text
    assert "line 1 of the code (below the %%handler line) has a SyntaxError" in text


def test_a_name_aws_refuses_is_a_validation_error(lab):
    with pytest.raises(handler_magic.HandlerCellError, match="ValidationException: the function"):
        handler_magic.deploy("no spaces!", "def handler(event, context):\n    pass\n")


def test_source_before_any_cell_says_to_run_the_cell(lab):
    with pytest.raises(KeyError, match="run the cell that starts with `%%handler nowhere`"):
        handler_magic.source("nowhere")

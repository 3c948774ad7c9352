"""An uncaught exception in the logs: one JSON object in JSON mode, text lines in Text mode.

Shapes follow the Python runtime interface client (awslambdaric bootstrap.py, `log_error`):
in JSON mode {timestamp, level: ERROR, errorMessage, errorType, requestId, stackTrace}.
"""

import io
import json
import re
import zipfile

import boto3

FAILS = """
def handler(event, context):
    print("about to fail")
    raise ValueError("the order has no lines")
"""
FAILS_AT_INIT = "raise RuntimeError('no config file')\n\ndef handler(event, context):\n    pass\n"
ERROR_KEYS = {"timestamp", "level", "errorMessage", "errorType", "requestId", "stackTrace"}


def _create(lab, lam, name, source, logging_config):
    """create_function with plain boto3 and a one-file zip."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", source)
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=lab.execution_role(f"{name}-role"),
        Handler="app.handler",
        Code={"ZipFile": archive.getvalue()},
        LoggingConfig=logging_config,
    )


def _log_lines(name):
    """Every line CloudWatch Logs holds for the function, oldest first."""
    events = boto3.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")
    return [event["message"] for event in events["events"]]


def _errors(lines):
    objects = [json.loads(line) for line in lines if line.startswith("{")]
    return [o for o in objects if o.get("level") == "ERROR"]


def test_json_mode_logs_a_handler_exception_as_one_object(lab, lam):
    _create(lab, lam, "json-fails", FAILS, {"LogFormat": "JSON"})
    response = lam.invoke(FunctionName="json-fails")
    assert response["FunctionError"] == "Unhandled"
    lines = _log_lines("json-fails")
    assert not [line for line in lines if line.startswith("[ERROR]") or "Traceback" in line]
    (error,) = _errors(lines)
    assert set(error) == ERROR_KEYS
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "the order has no lines")
    assert error["requestId"] == lab.invocations[-1].request_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", error["timestamp"])
    assert len(error["stackTrace"]) == 1 and 'app.py", line 4, in handler' in error["stackTrace"][0]
    payload = json.loads(response["Payload"].read())
    assert payload["stackTrace"] == error["stackTrace"]
    assert "about to fail" in lines  # print() stays plain text


def test_json_mode_logs_an_init_error_without_a_request_id(lab, lam):
    _create(lab, lam, "json-init-fails", FAILS_AT_INIT, {"LogFormat": "JSON"})
    payload = json.loads(lam.invoke(FunctionName="json-init-fails")["Payload"].read())
    assert payload["errorType"] == "RuntimeError"
    errors = _errors(_log_lines("json-init-fails"))
    assert errors and {e["errorType"] for e in errors} == {"RuntimeError"}
    assert all(set(e) == ERROR_KEYS and e["requestId"] == "" for e in errors)
    assert errors[0]["errorMessage"] == "no config file"


def test_application_log_level_drops_the_error_only_at_fatal(lab, lam):
    for level in ("ERROR", "FATAL"):
        name = f"fails-at-{level.lower()}"
        config = {"LogFormat": "JSON", "ApplicationLogLevel": level}
        _create(lab, lam, name, FAILS, config)
        assert lam.invoke(FunctionName=name)["FunctionError"] == "Unhandled"
        assert len(_errors(_log_lines(name))) == (1 if level == "ERROR" else 0)


def test_text_mode_keeps_the_error_line_and_traceback(lab, lam):
    _create(lab, lam, "text-fails", FAILS, {"LogFormat": "Text"})
    lam.invoke(FunctionName="text-fails")
    lines = _log_lines("text-fails")
    assert "[ERROR] ValueError: the order has no lines" in lines
    assert "Traceback (most recent call last):" in lines
    assert not [line for line in lines if line.startswith("{")]

"""LoggingConfig: JSON format for handler logs and platform lines, level filters, a log group."""

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError

LOGS = """
import logging
logger = logging.getLogger()

def handler(event, context):
    print("plain print")
    logger.debug("a debug line")
    logger.info("an info line")
    logger.warning("a warning line")
    return "ok"
"""


def _tail(lam, name):
    response = lam.invoke(FunctionName=name, LogType="Tail")
    return base64.b64decode(response["LogResult"]).decode().splitlines()


def _json(lines):
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_json_format_shapes_handler_and_platform_lines(lab, lam):
    config = lab.deploy("json-logs", LOGS, LoggingConfig={"LogFormat": "JSON"})
    assert config["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": "/aws/lambda/json-logs",
    }
    lines = _tail(lam, "json-logs")
    assert "plain print" in lines
    objects = _json(lines)
    types = [o.get("type") for o in objects if "type" in o]
    assert types == ["platform.initStart", "platform.start", "platform.report"]
    app = [o for o in objects if "level" in o]
    assert [(o["level"], o["message"]) for o in app] == [
        ("INFO", "an info line"),
        ("WARN", "a warning line"),
    ]
    invocation = lab.invocations[-1]
    assert {o["requestId"] for o in app} == {invocation.request_id}
    assert set(app[0]) == {"timestamp", "level", "message", "logger", "requestId"}
    report = objects[-1]["record"]
    assert report["status"] == "success" and report["requestId"] == invocation.request_id
    assert report["metrics"]["billedDurationMs"] == invocation.billed_duration_ms
    assert report["metrics"]["initDurationMs"] == invocation.init_duration_ms


def test_levels_filter_application_and_system_lines(lab, lam):
    lab.deploy(
        "quiet-logs",
        LOGS,
        LoggingConfig={
            "LogFormat": "JSON",
            "ApplicationLogLevel": "WARN",
            "SystemLogLevel": "WARN",
        },
    )
    objects = _json(_tail(lam, "quiet-logs"))
    assert [o["message"] for o in objects] == ["a warning line"]
    lam.update_function_configuration(
        FunctionName="quiet-logs",
        LoggingConfig={"ApplicationLogLevel": "DEBUG", "SystemLogLevel": "DEBUG"},
    )
    objects = _json(_tail(lam, "quiet-logs"))
    assert [o["message"] for o in objects if "message" in o] == [
        "a debug line",
        "an info line",
        "a warning line",
    ]
    assert objects[-1]["type"] == "platform.report"


def test_a_custom_log_group_receives_the_logs(lab, lam):
    group = "/my/shared/group"
    lab.deploy("grouped-logs", LOGS, LoggingConfig={"LogGroup": group})
    lam.invoke(FunctionName="grouped-logs")
    events = boto3.client("logs").filter_log_events(logGroupName=group)["events"]
    messages = [e["message"] for e in events]
    assert any(m.startswith("START RequestId:") for m in messages)
    assert "plain print" in messages
    configuration = lam.get_function_configuration(FunctionName="grouped-logs")
    assert configuration["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": group}


def test_levels_need_json_and_known_names(lab, lam):
    with pytest.raises(ClientError) as caught:
        lab.deploy("bad-logs", LOGS, LoggingConfig={"ApplicationLogLevel": "DEBUG"})
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as caught:
        lab.deploy("bad-logs", LOGS, LoggingConfig={"LogFormat": "XML"})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "[JSON, Text]" in caught.value.response["Error"]["Message"]

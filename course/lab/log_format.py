"""Lambda's log formats: plain text or JSON, for the handler's `logging` and platform lines.

With `LoggingConfig.LogFormat` JSON, the Python runtime writes each `logging` record as one
JSON object (timestamp, level, message, logger, requestId) and Lambda writes its own lines
(`platform.initStart`, `platform.start`, `platform.report`) as JSON objects with `time`, `type`
and `record`. An uncaught exception (in init or in the handler) is one JSON object too: the
runtime's error document (errorMessage, errorType, requestId, stackTrace) with a timestamp and
level ERROR; in Text mode it is an `[ERROR] Type: message` line and the traceback.
`ApplicationLogLevel` filters the handler's records (the runtime reads it from
AWS_LAMBDA_LOG_LEVEL) and `SystemLogLevel` filters Lambda's lines, which are INFO. `print()`
output stays plain text. This module has no moto in it: the worker process imports it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

FORMAT_VARIABLE = "AWS_LAMBDA_LOG_FORMAT"
LEVEL_VARIABLE = "AWS_LAMBDA_LOG_LEVEL"
APPLICATION_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")
DEFAULT_LEVEL = "INFO"  # AWS's default for both levels once the format is JSON
PLATFORM_LEVEL = "INFO"  # the level of START/REPORT lines, for SystemLogLevel
TRACE_LEVEL = 5  # below logging.DEBUG
_PYTHON_LEVELS = {"TRACE": TRACE_LEVEL, "WARN": logging.WARNING, "FATAL": logging.CRITICAL}


def python_level(name: str) -> int:
    """The `logging` level number of a Lambda log level name (TRACE ... FATAL)."""
    return _PYTHON_LEVELS.get(name, getattr(logging, name, logging.INFO))


def lambda_level(levelno: int) -> str:
    """The Lambda level name of a `logging` level number."""
    names = {TRACE_LEVEL: "TRACE", logging.WARNING: "WARN", logging.CRITICAL: "FATAL"}
    return names.get(levelno, logging.getLevelName(levelno))


def timestamp(epoch_s: float | None = None) -> str:
    """An ISO 8601 UTC time with milliseconds, as Lambda writes it."""
    epoch_s = time.time() if epoch_s is None else epoch_s
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s))
    return f"{stamp}.{int(epoch_s * 1000) % 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """Formats a `logging` record as the Python runtime's JSON log line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": timestamp(record.created),
            "level": lambda_level(record.levelno),
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", ""),
        }
        if record.exc_info:
            line["stackTrace"] = self.formatException(record.exc_info).splitlines()
        return json.dumps(line)


def configure(handler: logging.Handler, root: logging.Logger, env: dict[str, str]) -> None:
    """Set the worker's log handler and root level from AWS_LAMBDA_LOG_FORMAT / _LEVEL."""
    if env.get(FORMAT_VARIABLE) != "JSON":
        return
    logging.addLevelName(TRACE_LEVEL, "TRACE")
    handler.setFormatter(JsonFormatter())
    root.setLevel(python_level(env.get(LEVEL_VARIABLE) or DEFAULT_LEVEL))


def uncaught_error(error: dict[str, Any], env: dict[str, str], traceback: bool = True) -> str:
    """The log text for an uncaught exception, as the Python runtime writes it.

    In JSON mode: one object, `timestamp` (to the second, as the runtime's bootstrap writes it),
    `level` ERROR, then the error document; it is dropped ("") when AWS_LAMBDA_LOG_LEVEL is
    FATAL, the only level above ERROR. In Text mode: `[ERROR] Type: message`, then the
    traceback when `traceback` is true.
    """
    if env.get(FORMAT_VARIABLE) == "JSON":
        threshold = env.get(LEVEL_VARIABLE) or DEFAULT_LEVEL
        if APPLICATION_LEVELS.index(threshold) > APPLICATION_LEVELS.index("ERROR"):
            return ""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        document = {
            key: error.get(key, default)
            for key, default in (
                ("errorMessage", ""),
                ("errorType", ""),
                ("requestId", ""),
                ("stackTrace", []),
            )
        }
        return json.dumps({"timestamp": stamp, "level": "ERROR", **document}) + "\n"
    text = f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
    if traceback:
        text += "Traceback (most recent call last):\n" + "".join(error["stackTrace"])
    return text


def system_allows(config: dict[str, Any], level: str = PLATFORM_LEVEL) -> bool:
    """Whether a platform line of `level` passes the config's SystemLogLevel."""
    if config.get("LogFormat") != "JSON":
        return True
    threshold = config.get("SystemLogLevel") or DEFAULT_LEVEL
    return SYSTEM_LEVELS.index(level) >= SYSTEM_LEVELS.index(threshold)


def platform(kind: str, record: dict[str, Any]) -> str:
    """One JSON platform line (`platform.start`, `platform.report`, ...)."""
    return json.dumps({"time": timestamp(), "type": f"platform.{kind}", "record": record})


def environment(config: dict[str, Any]) -> dict[str, str]:
    """The variables the runtime reads: AWS_LAMBDA_LOG_FORMAT and, for JSON, _LEVEL."""
    if config.get("LogFormat") != "JSON":
        return {}
    return {
        FORMAT_VARIABLE: "JSON",
        LEVEL_VARIABLE: config.get("ApplicationLogLevel") or DEFAULT_LEVEL,
    }

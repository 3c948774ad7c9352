"""A function's LoggingConfig (log format, log levels, log group), which moto does not keep.

`install()` makes create and update accept `LoggingConfig` with AWS's checks, keeps it on the
function (and its published versions) and returns it from GetFunctionConfiguration, with AWS's
defaults: Text format and the log group /aws/lambda/NAME. A custom `LogGroup` is where the lab
then writes the function's logs; the formats and levels are applied by `course.lab.log_format`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend, LambdaFunction

from course.lab import log_format
from course.lab.api_errors import lambda_error

FORMATS = ("JSON", "Text")
_originals: dict[str, Callable[..., Any]] = {}


def install() -> None:
    """Keep and check LoggingConfig on create and update (idempotent)."""
    if _originals:
        return
    _originals["create_function"] = LambdaBackend.create_function
    _originals["update_function_configuration"] = LambdaBackend.update_function_configuration
    _originals["get_configuration"] = LambdaFunction.get_configuration
    LambdaBackend.create_function = _create_function
    LambdaBackend.update_function_configuration = _update_function_configuration
    LambdaFunction.get_configuration = _get_configuration


def of(fn: Any) -> dict[str, Any]:
    """The function's LoggingConfig as GetFunctionConfiguration shows it."""
    config = {"LogFormat": "Text", **(getattr(fn, "logging_config", None) or {})}
    if config["LogFormat"] == "JSON":
        config.setdefault("ApplicationLogLevel", log_format.DEFAULT_LEVEL)
        config.setdefault("SystemLogLevel", log_format.DEFAULT_LEVEL)
    config["LogGroup"] = fn.logs_group_name
    return config


def check(config: dict[str, Any]) -> None:
    """Raise AWS's error for a LoggingConfig Lambda would refuse."""
    fields = (
        ("LogFormat", "logFormat", FORMATS),
        ("ApplicationLogLevel", "applicationLogLevel", log_format.APPLICATION_LEVELS),
        ("SystemLogLevel", "systemLogLevel", log_format.SYSTEM_LEVELS),
    )
    for key, name, allowed in fields:
        if key in config and config[key] not in allowed:
            raise lambda_error(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{config[key]}' at 'loggingConfig.{name}' "
                f"failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(allowed)}]",
            )
    levels = [key for key in ("ApplicationLogLevel", "SystemLogLevel") if key in config]
    if levels and config.get("LogFormat") != "JSON":
        raise InvalidParameterValueException(
            f"{' and '.join(levels)} can be set only when LogFormat is JSON: log levels filter "
            "JSON logs, so set LogFormat to JSON in the same LoggingConfig."
        )


def _keep(fn: Any, config: dict[str, Any]) -> None:
    kept = {**(getattr(fn, "logging_config", None) or {}), **config}
    group = kept.pop("LogGroup", None)
    if kept.get("LogFormat") != "JSON":
        kept.pop("ApplicationLogLevel", None)
        kept.pop("SystemLogLevel", None)
    fn.logging_config = kept
    fn.logs_group_name = group or f"/aws/lambda/{fn.function_name}"


def _create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
    config = spec.get("LoggingConfig") or {}
    check(config)
    fn = _originals["create_function"](self, spec)
    if config:
        _keep(fn, config)
        _keep(self.get_function(fn.function_name), config)
    return fn


def _update_function_configuration(
    self: LambdaBackend, function_name: str, qualifier: str | None, body: dict[str, Any]
) -> Any:
    if "LoggingConfig" in body:
        config = body["LoggingConfig"] or {}
        current = {
            **(getattr(self.get_function(function_name, qualifier), "logging_config", None) or {})
        }
        check({**current, **config} if "LogFormat" not in config else config)
        _keep(self.get_function(function_name, qualifier), config)
    return _originals["update_function_configuration"](self, function_name, qualifier, body)


def _get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
    config = _originals["get_configuration"](self, *args, **kwargs)
    config["LoggingConfig"] = of(self)
    return config

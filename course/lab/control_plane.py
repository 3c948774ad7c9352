"""Lambda's control plane: make moto accept and reject function settings the way AWS does.

moto 5.2.5 stores a function with 20,000 MB of memory, a 5,000 s timeout or a python2.0
runtime, runs `$LATEST` whatever `Qualifier` an invoke names, and has no GetAccountSettings.
`install()` wraps a few of moto's own methods so that, through ordinary boto3 calls, these
behave like AWS, with AWS's error types and every limit read from the course facts file.
Everything else stays moto's own behaviour. Call `install()` before a moto server answers
its first Lambda request: the server builds its Lambda routes then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import unquote

from botocore.session import get_session
from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.utils import iso_8601_datetime_with_nanoseconds

from course.facts import Fact, fact

# moto's LambdaFunction leaves this attribute out when it copies a function to publish a
# version, so invoking a version failed with AttributeError; a class default of None makes
# moto create its Docker client lazily, as it does for $LATEST.
DOCKER_CLIENT_ATTRIBUTE = "_DockerModel__docker_client"
ACCOUNT_SETTINGS_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
BYTES_PER_KB = 1024
BYTES_PER_MB = 1024 * BYTES_PER_KB
BYTES_PER_GB = 1024 * BYTES_PER_MB
MEASURED_PREVIEW_CHARS = 200
# A Python handler: a module path (dots or slashes between parts), a dot, a function name.
HANDLER_PATTERN = re.compile(r"[\w-]+(?:[./][\w-]+)*\.[A-Za-z_]\w*")

_originals: dict[str, Callable[..., Any]] = {}
_state: dict[str, Any] = {"today": None, "account_concurrency": None}


def install(today: date | None = None) -> None:
    """Patch moto's Lambda backend and responses (idempotent); `today` fixes the date for tests.

    The date decides which deprecated runtimes are already blocked; by default it is the
    real date on each call.
    """
    _state["today"] = today
    if installed():
        return
    _originals["create_function"] = LambdaBackend.create_function
    _originals["update_function_configuration"] = LambdaBackend.update_function_configuration
    _originals["put_function_concurrency"] = LambdaBackend.put_function_concurrency
    _originals["invoke"] = LambdaResponse.invoke
    LambdaBackend.create_function = _create_function
    LambdaBackend.update_function_configuration = _update_function_configuration
    LambdaBackend.put_function_concurrency = _put_function_concurrency
    LambdaResponse.invoke = _invoke
    LambdaResponse.get_account_settings = _get_account_settings
    setattr(LambdaFunction, DOCKER_CLIENT_ATTRIBUTE, None)
    lambda_urls.url_paths[ACCOUNT_SETTINGS_PATH] = LambdaResponse.dispatch


def uninstall() -> None:
    """Undo `install()` and the account settings, giving back moto's own behaviour."""
    if installed():
        LambdaBackend.create_function = _originals.pop("create_function")
        LambdaBackend.update_function_configuration = _originals.pop(
            "update_function_configuration"
        )
        LambdaBackend.put_function_concurrency = _originals.pop("put_function_concurrency")
        LambdaResponse.invoke = _originals.pop("invoke")
        del LambdaResponse.get_account_settings
        delattr(LambdaFunction, DOCKER_CLIENT_ATTRIBUTE)
        lambda_urls.url_paths.pop(ACCOUNT_SETTINGS_PATH, None)
    _state.update(today=None, account_concurrency=None)


def installed() -> bool:
    """True while the control-plane patches are in place."""
    return bool(_originals)


def set_account_concurrency(limit: int | None) -> None:
    """Set the account's concurrent-executions limit per Region (None: the AWS default)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(
            f"The account concurrency limit must be a whole number >= 0, not {limit!r}."
        )
    _state["account_concurrency"] = limit


def account_concurrency() -> int:
    """The account's concurrent-executions limit per Region that the patches enforce."""
    limit = _state["account_concurrency"]
    return fact("concurrency.account_default").value if limit is None else limit


def _today() -> date:
    return _state["today"] or date.today()


def _from_facts(*facts: Fact) -> str:
    ids = " and ".join(f.id for f in facts)
    return f"{ids} in the course facts file: {facts[-1].cite()}"


# --- Patched moto methods ------------------------------------------------------------------


def _create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
    _check_configuration(spec, creating=True)
    return _originals["create_function"](self, spec)


def _update_function_configuration(
    self: LambdaBackend, function_name: str, qualifier: str | None, body: dict[str, Any]
) -> dict[str, Any] | None:
    _check_configuration(body, creating=False)
    if "EphemeralStorage" in body:  # moto drops this setting on update; AWS keeps it
        self.get_function(function_name, qualifier).ephemeral_storage = body["EphemeralStorage"][
            "Size"
        ]
    _originals["update_function_configuration"](self, function_name, qualifier, body)
    # AWS stamps LastModified on every update (moto never does); new settings, new environments
    function = self.get_function(function_name, qualifier)
    function.last_modified = iso_8601_datetime_with_nanoseconds()
    return function.get_configuration()


def _put_function_concurrency(
    self: LambdaBackend, function_name: str, reserved_concurrency: Any
) -> Any:
    function = self.get_function(function_name)
    others = sum(
        int(fn.reserved_concurrency or 0)
        for fn in self.list_functions()
        if fn.function_name != function.function_name
    )
    limit = account_concurrency()
    minimum = fact("concurrency.unreserved_min")
    if limit - others - int(reserved_concurrency) < minimum.value:
        most = max(limit - others - minimum.value, 0)
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{minimum.value}]. "
            f"The account limit is {limit:,} concurrent executions and other functions reserve "
            f"{others:,}, so this function can reserve at most {most:,} "
            f"({_from_facts(minimum)})."
        )
    return _originals["put_function_concurrency"](self, function_name, reserved_concurrency)


def _invoke(self: LambdaResponse) -> Any:
    """moto's Invoke, reading `Qualifier` from the query string as AWS sends it.

    moto looks up a lower-case `qualifier` (and finds it only in the event payload), so it
    always ran `$LATEST`. This resolves the version first, so an unknown qualifier raises
    ResourceNotFoundException, and adds the `ExecutedVersion` header AWS returns.
    """
    qualifier = self.querystring.get("Qualifier", [None])[0]
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    function = self.backend.get_function(function_name, qualifier)
    moto_get_param = self._get_param

    def get_param(name: str, if_none: Any = None) -> Any:
        return qualifier if name == "qualifier" else moto_get_param(name, if_none)

    self._get_param = get_param
    status, headers, payload = _originals["invoke"](self)
    if status == 200:
        headers.setdefault("X-Amz-Executed-Version", str(function.version))  # alias routing
    return status, headers, payload


def _get_account_settings(self: LambdaResponse) -> tuple[int, dict[str, str], str]:
    """GetAccountSettings, which moto lacks: limits from the facts file, usage from moto."""
    functions = list(self.backend.list_functions(func_version="ALL"))
    reserved = sum(int(fn.reserved_concurrency or 0) for fn in self.backend.list_functions())
    settings = {
        "AccountLimit": {
            "TotalCodeSize": fact("code_storage.max_gb").value * BYTES_PER_GB,
            "CodeSizeUnzipped": fact("package.unzipped_max_mb").value * BYTES_PER_MB,
            "CodeSizeZipped": fact("package.zip_max_mb").value * BYTES_PER_MB,
            "ConcurrentExecutions": account_concurrency(),
            "UnreservedConcurrentExecutions": account_concurrency() - reserved,
        },
        "AccountUsage": {
            "TotalCodeSize": sum(fn.code_size for fn in functions),
            "FunctionCount": len(list(self.backend.list_functions())),
        },
    }
    return 200, {}, json.dumps(settings)


# --- Checks, one per setting ----------------------------------------------------------------


def _check_configuration(config: dict[str, Any], *, creating: bool) -> None:
    """Raise AWS's error (ValidationException or InvalidParameterValueException) for the first
    setting AWS would reject."""
    if "MemorySize" in config:
        _check_range("MemorySize", config["MemorySize"], "memory.min_mb", "memory.max_mb")
    if "Timeout" in config:
        _check_timeout(config["Timeout"])
    if config.get("EphemeralStorage"):
        _check_range(
            "EphemeralStorage.Size",
            config["EphemeralStorage"].get("Size"),
            "ephemeral_storage.min_mb",
            "ephemeral_storage.max_mb",
            member="ephemeralStorage.size",
        )
    if config.get("Environment"):
        _check_environment(config["Environment"].get("Variables") or {})
    needs_code_settings = creating and config.get("PackageType", "Zip") == "Zip"
    if needs_code_settings and not (config.get("Runtime") and config.get("Handler")):
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with "
            "deployment packages."
        )
    if config.get("Runtime"):
        _check_runtime(config["Runtime"], creating=creating)
    if config.get("Handler"):
        _check_handler(config["Handler"])


def _check_range(
    name: str, value: Any, low_id: str, high_id: str, extra: str = "", member: str | None = None
) -> None:
    """Raise ValidationException for a value outside [low, high] of the facts file.

    AWS words it two ways: a limit of the API model is "1 validation error detected: Value 'V'
    at 'member' failed to satisfy constraint: ..." (give `member`); Lambda's own check of
    MemorySize is "'MemorySize' value failed to satisfy constraint: ...".
    """
    low, high = fact(low_id), fact(high_id)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterValueException(
            f"'{name}' value failed to satisfy constraint: Member must be a whole number. "
            f"The limit is {low} to {high} ({_from_facts(low, high)}).{extra}"
        )
    if value < low.value:
        bound = f"have value greater than or equal to {low.value}"
    elif value > high.value:
        bound = f"have value less than or equal to {high.value}"
    else:
        return
    if member is None:
        aws = f"'{name}' value failed to satisfy constraint: Member must {bound}."
    else:
        aws = (
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must {bound}."
        )
    raise LambdaClientError(
        "ValidationException",
        f"{aws} The limit is {low} to {high} ({_from_facts(low, high)}).{extra}",
    )


def _check_timeout(value: Any) -> None:
    documented, sdk = fact("timeout.max_s"), fact("timeout.sdk_model_max_s")
    newer = (
        f" The newest AWS SDK model allows up to {sdk} ({sdk.id}, {sdk.status}); "
        f"this course follows the documented {documented}."
    )
    _check_range("Timeout", value, "timeout.min_s", "timeout.max_s", extra=newer, member="timeout")


def _check_environment(variables: dict[str, str]) -> None:
    limit = fact("environment.max_kb")
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    size = len(measured.encode("utf-8"))
    if size <= limit.value * BYTES_PER_KB:
        return
    if len(measured) > MEASURED_PREVIEW_CHARS:
        measured = measured[:MEASURED_PREVIEW_CHARS] + "..."
    raise InvalidParameterValueException(
        "Lambda was unable to configure your environment variables because the environment "
        f"variables you have provided exceeded the {limit.value}KB limit. String measured: "
        f"{measured} (that is {size:,} bytes; the limit is {limit.value * BYTES_PER_KB:,} bytes, "
        f"{_from_facts(limit)})."
    )


def _check_runtime(runtime: str, *, creating: bool) -> None:
    runtimes = fact("runtimes.python")
    table = {entry["runtime"]: entry for entry in runtimes.value}
    entry = table.get(runtime)
    today = _today()
    block_key = "block_create" if creating else "block_update"
    usable = [
        name
        for name, row in table.items()
        if _leading_date(row.get("ga")) and not _blocked(row, block_key, today)
    ]
    if entry is None and runtime.startswith("python") and runtime in _sdk_runtimes():
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use a supported runtime while creating or "
            f"updating functions. (The runtimes you can use are {', '.join(usable)}; "
            f"{_from_facts(runtimes)}.)"
        )
    if entry is None:
        raise InvalidParameterValueException(
            f"Value '{runtime}' at 'runtime' failed to satisfy constraint: Member must be a "
            f"Python runtime that Lambda supports: {', '.join(usable)} ({_from_facts(runtimes)})."
        )
    if not _leading_date(entry.get("ga")):
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is not available in this course: it is in the "
            "AWS SDK's list of runtimes, but its general availability is UNVERIFIED "
            f"({_from_facts(runtimes)}). Use one of: {', '.join(usable)}."
        )
    if _blocked(entry, block_key, today):
        action = "creating" if creating else "updating"
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use a supported runtime while creating or "
            f"updating functions. ({runtime} was deprecated on {entry['deprecation']}, and "
            f"{action} functions on it is blocked from {_leading_date(entry[block_key])}; "
            f"{_from_facts(runtimes)}.)"
        )


@cache
def _sdk_runtimes() -> frozenset[str]:
    """Every runtime name in the AWS SDK's Lambda model (old and retired ones included)."""
    model = get_session().get_service_model("lambda")
    return frozenset(model.shape_for("Runtime").enum)


def _blocked(entry: dict[str, str], block_key: str, today: date) -> bool:
    block = _leading_date(entry.get(block_key))
    return block is not None and today >= block


def _leading_date(text: str | None) -> date | None:
    match = re.match(r"\d{4}-\d{2}-\d{2}", text or "")
    return date.fromisoformat(match.group()) if match else None


def _check_handler(handler: str) -> None:
    if HANDLER_PATTERN.fullmatch(handler):
        return
    raise InvalidParameterValueException(
        f"Value '{handler}' at 'handler' failed to satisfy constraint: a Python handler must "
        "have the form module.function, for example app.handler. (AWS itself accepts this value "
        "when the function is created and fails at the first invoke with "
        "Runtime.MalformedHandlerName; this course checks it early.)"
    )

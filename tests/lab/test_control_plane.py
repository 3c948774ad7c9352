"""The control-plane patches, through real boto3 calls against moto (decorator and server mode)."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import uuid
import zipfile
from datetime import date, timedelta

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.awslambda.responses import LambdaResponse
from moto.server import ThreadedMotoServer

from course.facts import as_of, fact
from course.lab import control_plane

REGION = "us-east-1"
TODAY = date.fromisoformat(as_of())  # the day the facts were researched
RUNTIMES = fact("runtimes.python").value
GA_RUNTIMES = [row for row in RUNTIMES if row["ga"][:1].isdigit()]
RUNTIME = next(
    row["runtime"] for row in GA_RUNTIMES if date.fromisoformat(row["block_create"]) > TODAY
)
# Server-side checks are the point here, so botocore's own minimum checks are switched off.
# A lab started by other tests may have set AWS_ENDPOINT_URL: decorator mode ignores it.
CLIENT_CONFIG = Config(
    parameter_validation=False, retries={"max_attempts": 0}, ignore_configured_endpoint_urls=True
)


def zipped(source: str) -> bytes:
    """A deployment package holding app.py."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@functools.cache
def clients(endpoint_url: str | None = None) -> tuple:
    """Lambda, Logs and IAM clients, made once (making a client costs more than a test)."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return tuple(
        session.client(service, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
        for service in ("lambda", "logs", "iam")
    )


class Account:
    """boto3 clients and a role, against decorator-mode moto or a moto server."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.lam, self.logs, iam = clients(endpoint_url)
        # A fresh name per test: a lab's warm execution environments never carry over.
        self.fn = f"fn-{uuid.uuid4().hex[:12]}"
        self.role = iam.create_role(RoleName="course-fn", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]

    def create(self, name: str | None = None, **settings: object) -> dict:
        spec = {
            "FunctionName": name or self.fn,
            "Runtime": RUNTIME,
            "Role": self.role,
            "Handler": "app.handler",
            "Code": {"ZipFile": zipped("def handler(event, context):\n    return 'v'\n")},
        }
        spec.update(settings)
        return self.lam.create_function(**{k: v for k, v in spec.items() if v is not None})


def rejected(call, *fragments: str, code: str = "InvalidParameterValueException") -> str:
    """Run a call that must fail with an AWS-shaped error; return its message."""
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    assert response["Error"]["Code"] == code
    status = {
        "InvalidParameterValueException": 400,
        "ValidationException": 400,
        "ResourceNotFoundException": 404,
    }[code]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    message = response["Error"]["Message"]
    for fragment in fragments:
        assert fragment in message
    return message


@contextlib.contextmanager
def installed_for_the_test(today: date | None = TODAY):
    """Install the patches, then leave them as they were (a running lab installs them too)."""
    was_installed = control_plane.installed()
    control_plane.install(today=today)
    try:
        yield
    finally:
        control_plane.uninstall()
        if was_installed:
            control_plane.install()


@pytest.fixture
def patched():
    with installed_for_the_test():
        yield


@pytest.fixture
def aws(patched):
    with mock_aws():
        yield Account()


# --- Numeric limits ----------------------------------------------------------------------------

RANGES = [
    ("MemorySize", "memory.min_mb", "memory.max_mb"),
    ("Timeout", "timeout.min_s", "timeout.max_s"),
    ("EphemeralStorage", "ephemeral_storage.min_mb", "ephemeral_storage.max_mb"),
]


def setting(name: str, value: int) -> dict:
    return {name: {"Size": value}} if name == "EphemeralStorage" else {name: value}


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
def test_both_ends_of_each_range_are_accepted(aws, name, low, high):
    for end in (low, high):
        config = aws.create(f"fn-{end.replace('.', '-')}", **setting(name, fact(end).value))
        got = config[name]["Size"] if name == "EphemeralStorage" else config[name]
        assert got == fact(end).value


# AWS's own words before the course's note (" The limit is ..."). MemorySize above the account's
# limit: remotion-dev/remotion#2737, AWS Lambda Developer Guide troubleshooting-deployment.
# Timeout above the API model's maximum: covidatlas/li#575. EphemeralStorage: moto's own
# ValidationException (moto/awslambda/models.py), in the same "1 validation error" form.
AWS_WORDS = {
    "MemorySize": "'MemorySize' value failed to satisfy constraint: Member must {bound}.",
    "Timeout": "1 validation error detected: Value '{value}' at 'timeout' failed to satisfy "
    "constraint: Member must {bound}.",
    "EphemeralStorage": "1 validation error detected: Value '{value}' at 'ephemeralStorage.size' "
    "failed to satisfy constraint: Member must {bound}.",
}


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
def test_one_past_each_end_is_rejected_on_create_with_aws_words(aws, name, low, high):
    below, above = fact(low).value - 1, fact(high).value + 1
    for value, bound in (
        (below, f"have value greater than or equal to {fact(low).value}"),
        (above, f"have value less than or equal to {fact(high).value}"),
    ):
        message = rejected(
            lambda value=value: aws.create(**setting(name, value)),
            f"{low} and {high} in the course facts file",
            code="ValidationException",
        )
        words = AWS_WORDS[name].format(value=value, bound=bound)
        assert message.startswith(f"{words} The limit is {fact(low)} to {fact(high)} (")
    with pytest.raises(ClientError):
        aws.lam.get_function(FunctionName=aws.fn)


def test_timeout_message_mentions_the_newer_sdk_maximum(aws):
    sdk = fact("timeout.sdk_model_max_s")
    rejected(
        lambda: aws.create(Timeout=fact("timeout.max_s").value + 1),
        f"allows up to {sdk} ({sdk.id}, UNVERIFIED)",
        f"follows the documented {fact('timeout.max_s')}",
        code="ValidationException",
    )


def test_a_non_integer_is_rejected(aws):
    rejected(lambda: aws.create(MemorySize="lots"), "'MemorySize'", "Member must be a whole number")


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
def test_update_checks_the_same_limits(aws, name, low, high):
    aws.create()
    rejected(
        lambda: aws.lam.update_function_configuration(
            FunctionName=aws.fn, **setting(name, fact(high).value + 1)
        ),
        f"less than or equal to {fact(high).value}",
        code="ValidationException",
    )
    aws.lam.update_function_configuration(FunctionName=aws.fn, **setting(name, fact(high).value))
    config = aws.lam.get_function_configuration(FunctionName=aws.fn)
    got = config[name]["Size"] if name == "EphemeralStorage" else config[name]
    assert got == fact(high).value


# --- Environment variables ---------------------------------------------------------------------

LIMIT_BYTES = fact("environment.max_kb").value * control_plane.BYTES_PER_KB
EMPTY_VALUE_BYTES = len('{"A":""}')


def test_environment_at_the_limit_is_accepted(aws):
    variables = {"A": "x" * (LIMIT_BYTES - EMPTY_VALUE_BYTES)}
    assert len(json.dumps(variables, separators=(",", ":"))) == LIMIT_BYTES
    config = aws.create(Environment={"Variables": variables})
    assert config["Environment"]["Variables"] == variables


def test_environment_over_the_limit_is_rejected_on_create_and_update(aws):
    variables = {"A": "x" * (LIMIT_BYTES - EMPTY_VALUE_BYTES + 1)}
    kb = fact("environment.max_kb").value
    expected = (
        "Lambda was unable to configure your environment variables because the environment "
        f"variables you have provided exceeded the {kb}KB limit. String measured: "
        '{"A":"xxx'
    )
    message = rejected(lambda: aws.create(Environment={"Variables": variables}), expected)
    assert f"{LIMIT_BYTES + 1:,} bytes" in message and "environment.max_kb" in message
    aws.create()
    rejected(
        lambda: aws.lam.update_function_configuration(
            FunctionName=aws.fn, Environment={"Variables": variables}
        ),
        expected,
    )


def test_multibyte_characters_count_as_bytes(aws):
    variables = {"A": "é" * ((LIMIT_BYTES - EMPTY_VALUE_BYTES) // 2 + 1)}
    rejected(lambda: aws.create(Environment={"Variables": variables}), "exceeded the")


# --- Runtime and handler -----------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["python2.0", "nodejs20.x", "python3"])
def test_a_runtime_that_is_not_a_python_lambda_runtime_is_rejected(aws, runtime):
    rejected(
        lambda: aws.create(Runtime=runtime),
        f"Value '{runtime}' at 'runtime' failed to satisfy constraint",
        RUNTIME,
        "runtimes.python in the course facts file",
    )


@pytest.mark.parametrize("runtime", ["python2.7", "python3.8"])
def test_a_retired_python_runtime_gets_aws_wording(aws, runtime):
    rejected(
        lambda: aws.create(Runtime=runtime),
        f"The runtime parameter of {runtime} is no longer supported for creating or updating "
        "AWS Lambda functions. We recommend you use a supported runtime",
        RUNTIME,
    )


def test_a_runtime_without_confirmed_availability_is_rejected(aws):
    unconfirmed = [row["runtime"] for row in RUNTIMES if row not in GA_RUNTIMES]
    assert unconfirmed, "the facts file lists no runtime without a GA date any more"
    for runtime in unconfirmed:
        rejected(
            lambda r=runtime: aws.create(Runtime=r), f"{runtime} is not available", "UNVERIFIED"
        )


@pytest.mark.parametrize("row", GA_RUNTIMES, ids=lambda row: row["runtime"])
def test_create_is_blocked_from_the_block_create_date(row):
    block = date.fromisoformat(row["block_create"])
    with installed_for_the_test(block - timedelta(days=1)), mock_aws():
        account = Account()
        account.create("day-before", Runtime=row["runtime"])
        control_plane.install(today=block)
        rejected(
            lambda: account.create("on-the-day", Runtime=row["runtime"]),
            f"The runtime parameter of {row['runtime']} is no longer supported for creating "
            "or updating AWS Lambda functions.",
            f"blocked from {block}",
        )


def test_update_uses_the_block_update_date(aws):
    row = next(row for row in GA_RUNTIMES if date.fromisoformat(row["block_create"]) <= TODAY)
    block_update = control_plane._leading_date(row["block_update"])
    aws.create()
    control_plane.install(today=block_update - timedelta(days=1))
    aws.lam.update_function_configuration(FunctionName=aws.fn, Runtime=row["runtime"])
    control_plane.install(today=block_update)
    rejected(
        lambda: aws.lam.update_function_configuration(FunctionName=aws.fn, Runtime=row["runtime"]),
        "no longer supported",
        f"updating functions on it is blocked from {block_update}",
    )


def test_runtime_and_handler_are_required_for_zip_packages(aws):
    rejected(lambda: aws.create(Runtime=None), "Runtime and Handler are mandatory parameters")
    rejected(lambda: aws.create(Handler=None), "Runtime and Handler are mandatory parameters")


@pytest.mark.parametrize("handler", ["app.handler", "src/app.handler", "pkg.mod.main", "a_b.h2"])
def test_module_dot_function_handlers_are_accepted(aws, handler):
    assert aws.create(Handler=handler)["Handler"] == handler


@pytest.mark.parametrize("handler", ["app", "app.", ".handler", "app.1st", "app handler.x"])
def test_other_handlers_are_rejected(aws, handler):
    rejected(
        lambda: aws.create(Handler=handler),
        f"Value '{handler}' at 'handler'",
        "module.function",
        "Runtime.MalformedHandlerName",
    )
    aws.create()
    rejected(
        lambda: aws.lam.update_function_configuration(FunctionName=aws.fn, Handler=handler),
        "module.function",
    )


def test_moto_checks_still_apply(aws):
    missing_role = aws.role.replace("course-fn", "no-such-role")
    rejected(lambda: aws.create(Role=missing_role), "cannot be assumed by Lambda")


# --- Invoke with a qualifier -------------------------------------------------------------------


def versions_that_ran(account: Account) -> list[str]:
    """The versions moto itself logged an invocation for (its stream names hold '[version]')."""
    group = f"/aws/lambda/{account.fn}"
    streams = account.logs.describe_log_streams(logGroupName=group)["logStreams"]
    return sorted(s["logStreamName"].split("[", 1)[1].split("]", 1)[0] for s in streams)


def two_versions(account: Account) -> None:
    account.create(Code={"ZipFile": zipped("def handler(e, c):\n    return 1\n")})
    account.lam.publish_version(FunctionName=account.fn)
    account.lam.update_function_code(
        FunctionName=account.fn, ZipFile=zipped("def handler(e, c):\n    return 2\n")
    )
    account.lam.publish_version(FunctionName=account.fn)


def executed_version(account: Account, **invoke_args: object) -> str:
    response = account.lam.invoke(FunctionName=account.fn, **invoke_args)
    assert response["StatusCode"] == 200
    return response["ExecutedVersion"]


@pytest.mark.parametrize("qualifier", ["1", "2", "$LATEST"])
def test_invoke_runs_the_version_the_qualifier_names(aws, qualifier):
    two_versions(aws)
    assert executed_version(aws, Qualifier=qualifier) == qualifier
    assert versions_that_ran(aws) == [qualifier]


def test_invoke_through_an_alias_runs_its_version(aws):
    two_versions(aws)
    aws.lam.create_alias(FunctionName=aws.fn, Name="live", FunctionVersion="1")
    assert executed_version(aws, Qualifier="live") == "1"
    assert versions_that_ran(aws) == ["1"]


def test_invoke_without_qualifier_ignores_a_qualifier_key_in_the_event(aws):
    two_versions(aws)
    assert executed_version(aws, Payload=json.dumps({"qualifier": "nope"})) == "$LATEST"


def test_invoke_with_an_unknown_qualifier_is_not_found(aws):
    two_versions(aws)
    rejected(
        lambda: aws.lam.invoke(FunctionName=aws.fn, Qualifier="9"),
        "Function not found: ",
        f"function:{aws.fn}:9",
        code="ResourceNotFoundException",
    )


# --- Concurrency and account settings ----------------------------------------------------------

UNRESERVED_MIN = fact("concurrency.unreserved_min").value
AWS_CONCURRENCY_MESSAGE = (
    "Specified ReservedConcurrentExecutions for function decreases account's "
    f"UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MIN}]."
)


def test_reserving_all_but_the_unreserved_minimum_is_allowed(aws):
    aws.create()
    most = fact("concurrency.account_default").value - UNRESERVED_MIN
    response = aws.lam.put_function_concurrency(
        FunctionName=aws.fn, ReservedConcurrentExecutions=most
    )
    assert response["ReservedConcurrentExecutions"] == most
    rejected(
        lambda: aws.lam.put_function_concurrency(
            FunctionName=aws.fn, ReservedConcurrentExecutions=most + 1
        ),
        AWS_CONCURRENCY_MESSAGE,
        f"can reserve at most {most:,}",
        "concurrency.unreserved_min in the course facts file",
    )


def test_other_functions_reservations_count_but_not_the_functions_own(aws):
    control_plane.set_account_concurrency(UNRESERVED_MIN + 10)
    aws.create("a")
    aws.create("b")
    aws.lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=6)
    aws.lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=7)
    rejected(
        lambda: aws.lam.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=4),
        AWS_CONCURRENCY_MESSAGE,
        "other functions reserve 7, so this function can reserve at most 3",
    )
    aws.lam.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=3)


def test_account_settings_report_limits_and_usage(aws):
    settings = aws.lam.get_account_settings()
    limit = settings["AccountLimit"]
    assert limit["ConcurrentExecutions"] == fact("concurrency.account_default").value
    assert limit["UnreservedConcurrentExecutions"] == limit["ConcurrentExecutions"]
    assert limit["CodeSizeZipped"] == fact("package.zip_max_mb").value * 1024 * 1024
    assert limit["CodeSizeUnzipped"] == fact("package.unzipped_max_mb").value * 1024 * 1024
    assert limit["TotalCodeSize"] == fact("code_storage.max_gb").value * 1024**3
    assert settings["AccountUsage"] == {"TotalCodeSize": 0, "FunctionCount": 0}

    two_versions(aws)
    aws.create("other")
    control_plane.set_account_concurrency(UNRESERVED_MIN + 50)
    aws.lam.put_function_concurrency(FunctionName="other", ReservedConcurrentExecutions=20)
    settings = aws.lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == UNRESERVED_MIN + 50
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == UNRESERVED_MIN + 30
    sizes = [
        v["CodeSize"]
        for name in (aws.fn, "other")
        for v in aws.lam.list_versions_by_function(FunctionName=name)["Versions"]
    ]
    assert settings["AccountUsage"] == {"TotalCodeSize": sum(sizes), "FunctionCount": 2}


def test_account_concurrency_is_configurable_and_checked():
    assert control_plane.account_concurrency() == fact("concurrency.account_default").value
    control_plane.set_account_concurrency(5000)
    try:
        assert control_plane.account_concurrency() == 5000
        for bad in (-1, 2.5, True, "1000"):
            with pytest.raises(ValueError, match="whole number"):
                control_plane.set_account_concurrency(bad)
    finally:
        control_plane.set_account_concurrency(None)
    assert control_plane.account_concurrency() == fact("concurrency.account_default").value


# --- install / uninstall -----------------------------------------------------------------------


def test_install_is_idempotent_and_uninstall_restores_what_was_there():
    was_installed = control_plane.installed()
    control_plane.uninstall()
    before = (
        LambdaBackend.create_function,
        LambdaBackend.update_function_configuration,
        LambdaBackend.put_function_concurrency,
        LambdaResponse.invoke,
    )
    try:
        control_plane.install(today=TODAY)
        patched_create = LambdaBackend.create_function
        control_plane.install(today=TODAY)
        control_plane.install()
        assert control_plane.installed()
        assert LambdaBackend.create_function is patched_create is not before[0]
        control_plane.set_account_concurrency(UNRESERVED_MIN)
        control_plane.uninstall()
        assert not control_plane.installed()
        assert before == (
            LambdaBackend.create_function,
            LambdaBackend.update_function_configuration,
            LambdaBackend.put_function_concurrency,
            LambdaResponse.invoke,
        )
        assert not hasattr(LambdaResponse, "get_account_settings")
        assert control_plane.account_concurrency() == fact("concurrency.account_default").value
        with mock_aws():
            account = Account()
            account.create("big", MemorySize=fact("memory.max_mb").value * 2)  # moto's leniency
            with pytest.raises(ClientError, match="Not yet implemented"):
                account.lam.get_account_settings()
    finally:
        if was_installed:
            control_plane.install()


def test_uninstall_twice_is_harmless():
    with installed_for_the_test():
        control_plane.uninstall()
        control_plane.uninstall()
        assert not control_plane.installed()


# --- Server mode -------------------------------------------------------------------------------


def test_patches_work_through_a_moto_server(patched):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        account = Account(endpoint_url=endpoint)
        rejected(
            lambda: account.create(MemorySize=fact("memory.max_mb").value + 1),
            "'MemorySize' value failed to satisfy constraint",
            "memory.max_mb",
            code="ValidationException",
        )
        two_versions(account)
        assert executed_version(account, Qualifier="1") == "1"
        assert versions_that_ran(account) == ["1"]
        rejected(
            lambda: account.lam.invoke(FunctionName=account.fn, Qualifier="9"),
            code="ResourceNotFoundException",
        )
        limit = account.lam.get_account_settings()["AccountLimit"]
        assert limit["ConcurrentExecutions"] == fact("concurrency.account_default").value
    finally:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.stop()

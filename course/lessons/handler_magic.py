"""`%%handler NAME`: a notebook cell that is a Lambda function's code, deployed to the lab.

    %load_ext course.lessons.handler_magic

    %%handler hello --memory 256 --timeout 3 --env STAGE=dev
    def handler(event, context):
        return {"greeting": f"Hello, {event.get('name')}!"}

The cell body is ordinary Python (highlighted like any other cell). Running the cell zips it as
the handler's module and creates function NAME in the lab, or updates its code and
configuration when it exists, then prints the function's ARN and state. Like a deployment
template, the cell is the whole configuration: a setting left out goes back to AWS's default.
Checks and lessons read the deployed code back from the lab: `source("hello")`.
"""

from __future__ import annotations

import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

import course.lab

USAGE = (
    "%%handler NAME [--handler MODULE.FUNCTION] [--memory MB] [--timeout SECONDS] "
    "[--role ROLE] [--env KEY=VALUE ...]"
)
DEFAULT_HANDLER = "app.handler"
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]+")  # what CreateFunction accepts as a plain name


class HandlerCellError(UsageError):
    """A %%handler cell cannot deploy: a bad option, or AWS refused the function."""


def source(name: str) -> str:
    """The code of function NAME's handler module, as deployed in the lab.

    The lab's copy is the one source of truth: it is what a `%%handler NAME` cell last
    deployed, and it outlives any re-import of this module (as sealed checks do).
    """
    lab = course.lab.running()
    try:
        if lab is None:
            raise KeyError(name)
        return lab.handler_source(name)
    except KeyError:
        raise KeyError(
            f"Function {name} is not in the lab yet: run the cell that starts with "
            f"`%%handler {name}` first."
        ) from None


def defined(name: str) -> bool:
    """Whether function NAME is in the lab, with its handler module (e.g. a %%handler cell ran)."""
    try:
        source(name)
    except KeyError:
        return False
    return True


def parse_env(pairs: list[str] | None) -> dict[str, str]:
    """['STAGE=dev', 'MODE=x'] -> {'STAGE': 'dev', 'MODE': 'x'}, with a clear error otherwise."""
    env = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise HandlerCellError(
                f"InvalidParameterValueException: --env takes KEY=VALUE pairs, not {pair!r}. "
                f"Usage: {USAGE}"
            )
        env[key] = value
    return env


@magic_arguments()
@argument("name", help="the function's name, e.g. hello")
@argument("--handler", default=DEFAULT_HANDLER, help="MODULE.FUNCTION (default app.handler)")
@argument("--memory", type=int, help="memory size in MB (default: AWS's default)")
@argument("--timeout", type=int, help="timeout in seconds (default: AWS's default)")
@argument("--role", help="execution role name or ARN, used on creation (default: NAME-role)")
@argument("--env", nargs="+", action="extend", metavar="KEY=VALUE", help="environment variables")
def handler(line: str, cell: str) -> None:
    """Deploy the cell's code as Lambda function NAME in the lab (create or update)."""
    options = _options(line)
    deploy(
        options.name,
        cell,
        handler=options.handler,
        memory_mb=options.memory,
        timeout_s=options.timeout,
        env=parse_env(options.env),
        role=options.role,
    )


def deploy(
    name: str,
    code: str,
    handler: str = DEFAULT_HANDLER,
    memory_mb: int | None = None,
    timeout_s: int | None = None,
    env: dict[str, str] | None = None,
    role: str | None = None,
) -> dict:
    """What a %%handler cell does: create or update function `name`, print its ARN and state."""
    from botocore.exceptions import ClientError, ParamValidationError

    if not FUNCTION_NAME.fullmatch(name):
        raise HandlerCellError(
            f"ValidationException: the function name {name!r} may only contain letters, digits, "
            "hyphens (-) and underscores (_)."
        )
    if not code.strip():
        raise HandlerCellError(
            f"InvalidParameterValueException: the %%handler {name} cell has no code: write the "
            "function's module below the first line."
        )
    import boto3

    lab = course.lab.start()
    client = boto3.client("lambda", region_name=course.lab.REGION)
    existed = _exists(client, name)
    if role and not role.startswith("arn:"):
        role = lab.execution_role(role)  # a role name: created when missing, like NAME-role
    try:
        lab.deploy(
            name,
            code,
            handler=handler,
            memory_mb=memory_mb,
            timeout_s=timeout_s,
            env=env,
            role=role,
        )
    except ClientError as error:
        details = error.response["Error"]
        raise HandlerCellError(f"{details['Code']}: {details['Message']}") from None
    except ParamValidationError as error:  # refused by boto3 before the request is sent
        message = str(error).replace("\n", " ")
        raise HandlerCellError(f"InvalidParameterValueException: {message}") from None
    config = client.get_function_configuration(FunctionName=name)
    config.pop("ResponseMetadata", None)
    print(describe(config, updated=existed))
    problem = _syntax_problem(code, handler)
    if problem:
        print(problem)
    return config


def describe(config: dict, updated: bool) -> str:
    """The lines a %%handler cell prints: what happened, the ARN, the state and the settings."""
    what = "updated (code and configuration)" if updated else "created"
    variables = config.get("Environment", {}).get("Variables", {})
    env = ", ".join(f"{k}={v}" for k, v in sorted(variables.items())) or "none"
    lines = [
        f"Function {config['FunctionName']} {what}.",
        f"FunctionArn: {config['FunctionArn']}",
        f"State: {config.get('State', 'Active')}",
        f"Handler: {config['Handler']} | Memory: {config['MemorySize']} MB | "
        f"Timeout: {config['Timeout']} s | Environment: {env}",
    ]
    if updated:
        lines.append("Its next invocation starts a new execution environment (a cold start).")
    return "\n".join(lines)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext course.lessons.handler_magic` registers the `%%handler` cell magic."""
    ipython.register_magic_function(handler, magic_kind="cell", magic_name="handler")


def _options(line: str) -> Any:
    try:
        return parse_argstring(handler, line)
    except UsageError as error:
        raise HandlerCellError(f"InvalidParameterValueException: {error}. Usage: {USAGE}") from None


def _exists(client: Any, name: str) -> bool:
    try:
        client.get_function(FunctionName=name)
    except client.exceptions.ResourceNotFoundException:
        return False
    except client.exceptions.ClientError:  # a name AWS refuses: deploy reports it
        return False
    return True


def _syntax_problem(code: str, handler: str) -> str | None:
    """A note when the code cannot run: AWS accepts it, and the first invoke fails."""
    try:
        compile(code, handler.rpartition(".")[0] + ".py", "exec")
    except SyntaxError as error:
        return (
            f"Note: line {error.lineno} of the code (below the %%handler line) has a SyntaxError "
            f"({error.msg}); every invoke fails with Runtime.UserCodeSyntaxError until it is fixed."
        )
    return None

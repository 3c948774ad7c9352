"""Runtime test helpers: a client without retries and the zoo of handlers (the lab is shared)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.config import Config

HANDLERS = Path(__file__).parent / "handlers"
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=30)


@pytest.fixture
def lam(lab):
    return boto3.client("lambda", config=NO_RETRY)


@pytest.fixture
def deploy(lab):
    """deploy("name", "errors.sleep", timeout_s=1): a handler from the zoo in handlers/."""

    def _deploy(name: str, handler: str, **settings):
        module = handler.rpartition(".")[0]
        return lab.deploy(name, HANDLERS / f"{module}.py", handler=handler, **settings)

    return _deploy


def role_allowing(lab, function_name: str, action: str, resource: str) -> str:
    """A least-privilege execution role for `function_name`: only `action` on `resource`."""
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    return lab.execution_role(f"{function_name}-role", policy)


def function_arn(name: str) -> str:
    """The ARN of lab function `name`."""
    from course.lab import ACCOUNT_ID, REGION

    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"

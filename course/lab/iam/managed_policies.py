"""AWS managed policies (AmazonS3ReadOnlyAccess, AWSLambdaBasicExecutionRole...) on demand.

moto ships AWS's managed policies but loads all of them (about 1,600, a quarter of a second
per IAM backend) only when MOTO_IAM_LOAD_MANAGED_POLICIES is set; otherwise attaching one fails
with NoSuchEntity. `install()` makes moto's IAM backend load just the one a call names, the
first time GetPolicy or Attach{Role,User,Group}Policy asks for it, so the lab's reset stays
fast and `iam.attach_role_policy(PolicyArn="arn:aws:iam::aws:policy/...")` works as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
_PATCHED = ("get_policy", "attach_role_policy", "attach_user_policy", "attach_group_policy")
_originals: dict[str, Callable[..., Any]] = {}


@cache
def _catalog() -> dict[str, dict[str, Any]]:
    """AWS's managed policies as moto ships them, by ARN."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {
        f"{AWS_POLICY_PREFIX}{data.get('Path', '/').lstrip('/')}{name}": {"name": name, **data}
        for name, data in json.loads(aws_managed_policies_data).items()
    }


def ensure(backend: Any, policy_arn: str) -> None:
    """Add the AWS managed policy `policy_arn` to `backend` if AWS has it and moto lacks it."""
    if not policy_arn.startswith(AWS_POLICY_PREFIX) or policy_arn in backend.managed_policies:
        return
    data = _catalog().get(policy_arn)
    if data is None:
        return
    from moto.iam.models import AWSManagedPolicy

    policy = AWSManagedPolicy.from_data(data["name"], backend.account_id, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy


def install() -> None:
    """Patch moto's IAM backend (idempotent)."""
    if _originals:
        return
    from moto.iam.models import IAMBackend

    for name in _PATCHED:
        original = getattr(IAMBackend, name)
        _originals[name] = original
        setattr(IAMBackend, name, _loading(original))


def _loading(original: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Any, policy_arn: str, *args: Any, **kwargs: Any) -> Any:
        ensure(self, policy_arn)
        return original(self, policy_arn, *args, **kwargs)

    method.__doc__ = original.__doc__
    return method

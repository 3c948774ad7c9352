"""Who is calling: an access key resolved to an IAM user or an assumed role in moto's backends.

Policies are read live from moto's IAM backend on every call, so attaching or detaching a
policy takes effect on the next request. Keys that belong to no IAM user and no STS session
(the lab's own `testing` key) are the account's administrator and are not resolved here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from course.lab.iam.actions import Lookup
from course.lab.iam.policy import IDENTITY, RESOURCE, SESSION, MalformedPolicyDocument, Policy

PARTITION = "aws"


@dataclass(frozen=True)
class Principal:
    """A caller the lab enforces: an IAM user or an assumed-role session."""

    kind: str  # "IAMUser" or "AssumedRole"
    arn: str  # arn:aws:iam::A:user/U or arn:aws:sts::A:assumed-role/R/S
    account: str
    access_key_id: str
    name: str  # the user name, or the session name (a function's name)
    principal_id: str
    role_arn: str | None = None  # the role behind an assumed-role session
    session_policy: str | None = None

    def policies(self) -> list[Policy]:
        """The identity policies (and the session policy) in force right now."""
        iam = _iam(self.account)
        found: list[Policy] = []
        if self.kind == "AssumedRole":
            try:
                role = iam.get_role_by_arn(self.role_arn)
            except Exception:  # noqa: BLE001 - a deleted role allows nothing
                return found
            found += _entity_policies(role, f"role {role.name}")
            if self.session_policy:
                found.append(
                    _parse(f"the session policy of {self.arn}", self.session_policy, SESSION)
                )
            return found
        user = iam.get_user(self.name)
        found += _entity_policies(user, f"user {user.name}")
        for group in iam.get_groups_for_user(user.name):
            found += _entity_policies(group, f"group {group.name}")
        return found


def resolve(access_key_id: str) -> Principal | None:
    """The enforced principal owning `access_key_id`, or None for the lab's administrator."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account in list(sts_backends):
        session = sts_backends[account][PARTITION].get_assumed_role_from_access_key(access_key_id)
        if session is not None:
            return Principal(
                "AssumedRole",
                session.arn,
                session.account_id,
                access_key_id,
                session.session_name,
                session.user_id,
                session.role_arn,
                session.policy or None,
            )
    for account in list(iam_backends):
        user = iam_backends[account][PARTITION].get_user_from_access_key_id(access_key_id)
        if user is not None:
            return Principal("IAMUser", user.arn, account, access_key_id, user.name, user.id)
    return None


def execution_role_session(function_name: str, role_arn: str) -> Principal:
    """The assumed-role session a function runs as (session named after the function)."""
    account = role_arn.split(":")[4]
    role_name = role_arn.split("/")[-1]
    arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{function_name}"
    return Principal("AssumedRole", arn, account, "", function_name, "", role_arn)


def function_policy(account: str, region: str, function_arn: str) -> Policy | None:
    """The resource-based policy of a Lambda function (add_permission statements), if any."""
    from moto.awslambda.models import lambda_backends

    try:
        fn = lambda_backends[account][region].get_function(function_arn)
        statements = list(fn.policy.statements) if fn.policy else []
    except Exception:  # noqa: BLE001 - no function, no policy
        return None
    if not statements:
        return None
    name = function_arn.split(":")[6]
    return Policy(
        f"the resource-based policy of function {name}", {"Statement": statements}, RESOURCE
    )


def _iam(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account][PARTITION]


def _entity_policies(entity: Any, owner: str) -> Iterator[Policy]:
    for name, document in sorted(entity.policies.items()):
        yield _parse(f"inline policy {name} of {owner}", document)
    for arn, managed in sorted(entity.managed_policies.items()):
        version = next((v for v in managed.versions if v.is_default), None)
        if version is not None:
            yield _parse(f"managed policy {arn} attached to {owner}", version.document)


def _parse(source: str, document: Any, kind: str = IDENTITY) -> Policy:
    if isinstance(document, str):
        from urllib.parse import unquote

        document = document if document.lstrip().startswith("{") else unquote(document)
    try:
        return Policy.parse(source, document, kind)
    except MalformedPolicyDocument:
        return Policy(source, {"Statement": []}, kind)


class BackendLookup(Lookup):
    """Resolves names through moto's backends (secret ARNs, KMS aliases, IAM paths)."""

    def secret_arn(self, region: str, account: str, secret_id: str) -> str:
        from moto.secretsmanager.models import secretsmanager_backends

        try:
            return secretsmanager_backends[account][region].describe_secret(secret_id).arn
        except Exception:  # noqa: BLE001 - an unknown secret keeps the name-based ARN
            return super().secret_arn(region, account, secret_id)

    def kms_key_arn(self, region: str, account: str, key_id: str) -> str:
        from moto.kms.models import kms_backends

        try:
            backend = kms_backends[account][region]
            return backend.describe_key(
                backend.get_key_id(key_id)
                if "alias/" not in key_id
                else backend.get_key_id_from_alias(key_id.split(":")[-1])
            ).arn
        except Exception:  # noqa: BLE001
            return super().kms_key_arn(region, account, key_id)

    def kms_key_of_ciphertext(self, blob: bytes) -> str | None:
        from moto.kms.utils import _deserialize_ciphertext_blob

        try:
            return _deserialize_ciphertext_blob(blob).key_id
        except Exception:  # noqa: BLE001 - not a lab ciphertext
            return None

    def iam_arn(self, account: str, kind: str, name: str) -> str:
        iam = _iam(account)
        getter = {"role": iam.get_role, "user": iam.get_user, "group": iam.get_group}[kind]
        try:
            return getter(name).arn
        except Exception:  # noqa: BLE001 - not created yet
            return super().iam_arn(account, kind, name)

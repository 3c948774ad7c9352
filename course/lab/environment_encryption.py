"""Environment variables encrypted with a customer managed KMS key (a function's KMSKeyArn).

On AWS, Lambda decrypts a function's environment variables with the function's execution
role before it runs the function. When the role may not `kms:Decrypt` with the key, every
invocation fails with `KMSAccessDeniedException` (HTTP 502) and the handler never runs. The
lab does the same when IAM is enforced: the role's policies are evaluated for `kms:Decrypt`
on the key's ARN at each invocation (a policy change counts at once), and the denial is
recorded like a handler's own denied calls, so `lab.explain_denial(function)` explains it.
Without environment variables there is nothing to decrypt, so nothing is checked.
`KMSKeyArn` is taken by create_function and update_function_configuration alike (moto drops it
on update); an empty string goes back to the AWS managed key, and the setting is not shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from course.lab.api_errors import lambda_error
from course.lab.iam.actions import Call
from course.lab.iam.enforcement import AccessRecord
from course.lab.iam.policy import Decision, Request, evaluate
from course.lab.iam.principals import execution_role_session

ERROR_TYPE = "KMSAccessDeniedException"
STATUS = 502
_state = SimpleNamespace(lab=None, installed=False)


def decrypt_denial(lab: Any, fn: Any) -> Decision | None:
    """The denied `kms:Decrypt` decision for `fn`'s key, or None when it may run."""
    key = getattr(fn, "kms_key_arn", None)
    if not key or not (fn.environment_vars or {}) or not lab.iam.enforce:
        return None
    role_arn = fn.role
    principal = execution_role_session(fn.function_name, role_arn)
    request = Request(principal.arn, "kms:Decrypt", key, {"aws:PrincipalArn": role_arn})
    decision = evaluate(request, principal.policies())
    call = Call("kms", "Decrypt", key.split(":")[3], (("kms:Decrypt", key),))
    record = AccessRecord(datetime.now(UTC), principal, call, "kms:Decrypt", key, decision)
    with lab.iam._lock:
        lab.iam.records.append(record)
    return None if decision.allowed else decision


def error_message(decision: Decision) -> str:
    """Lambda's message for a key the execution role may not use."""
    return (
        "Lambda was unable to decrypt the environment variables because KMS access was "
        "denied. Please check the function's KMS key settings. KMS Exception: "
        f"AccessDeniedExceptionKMS Message: {decision.message()}"
    )


def install(lab: Any) -> None:
    """Check the execution role's kms:Decrypt before each invocation and keep KMSKeyArn on
    update_function_configuration (installed once)."""
    _state.lab = lab
    if _state.installed:
        return
    from moto.awslambda import models

    original_invoke = models.LambdaFunction.invoke

    def invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        decision = decrypt_denial(_state.lab, fn)
        if decision is not None:
            message = error_message(decision)
            kind = {k.lower(): v for k, v in dict(request_headers or {}).items()}.get(
                "x-amz-invocation-type", "RequestResponse"
            )
            if kind == "Event":  # accepted, then it fails in the background: it is lost
                event = body.decode() if isinstance(body, bytes) else str(body or "{}")
                _state.lab.events.drop(fn, event, "", f"{ERROR_TYPE}: {message}")
                return b""
            raise lambda_error(STATUS, ERROR_TYPE, message)
        return original_invoke(fn, body, request_headers, response_headers)

    original_update = models.LambdaFunction.update_configuration

    def update_configuration(fn: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "KMSKeyArn" in config_updates:
            fn.kms_key_arn = config_updates["KMSKeyArn"] or None  # "": the AWS managed key
        return original_update(fn, config_updates)

    models.LambdaFunction.invoke = invoke
    models.LambdaFunction.update_configuration = update_configuration
    _state.installed = True

"""A function's resource-based policy: may an AWS service invoke it for this source?

On AWS a service (S3, SNS, EventBridge, API Gateway, CloudWatch Logs, Cognito) invokes a
function only when the function's resource-based policy (built with `lambda add_permission`)
allows that service principal `lambda:InvokeFunction`, with the `aws:SourceArn` and
`aws:SourceAccount` conditions met by the resource that triggers it. Every trigger in the lab
asks `service_may_invoke(...)` before it invokes, and each reports a refusal the way its
service does.
"""

from __future__ import annotations

from course.lab.iam.policy import Decision, Request, evaluate
from course.lab.iam.principals import function_policy

INVOKE = "lambda:InvokeFunction"


def invoked_arn(function_arn: str) -> str:
    """The ARN a permission must name: `$LATEST` is the unqualified function."""
    return function_arn.removesuffix(":$LATEST")


def service_may_invoke(
    function_arn: str,
    service: str,
    source_arn: str,
    source_account: str,
    *,
    also_principals: tuple[str, ...] = (),
) -> Decision:
    """Whether `service` (e.g. 'sns.amazonaws.com') may invoke the function for `source_arn`.

    `also_principals` are other names the same service is known by (CloudWatch Logs accepts
    `logs.amazonaws.com` and `logs.REGION.amazonaws.com`); the first that is allowed wins.
    """
    arn = invoked_arn(function_arn)
    parts = arn.split(":")
    policy = function_policy(parts[4], parts[3], arn) if len(parts) >= 7 else None
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account}
    decision = None
    for principal in (service, *also_principals):
        decision = evaluate(Request(principal, INVOKE, arn, context), [policy] if policy else [])
        if decision.allowed:
            return decision
    assert decision is not None
    return decision


def missing_permission(decision: Decision, source_arn: str, source_account: str) -> str:
    """A plain sentence: what the denial means and the add_permission call that fixes it."""
    request = decision.request
    return (
        f"{decision.message()}. Give {request.principal} permission first: lambda "
        f"add_permission(FunctionName={request.resource!r}, Action={INVOKE!r}, "
        f"Principal={request.principal!r}, SourceArn={source_arn!r}, "
        f"SourceAccount={source_account!r})."
    )

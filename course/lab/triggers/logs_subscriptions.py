"""CloudWatch Logs subscription filters that invoke a Lambda function.

moto already calls the function when log events arrive, but synchronously, with every event
whatever the filter pattern says, and with nothing to stop a loop. Here the events that match
the filter pattern are gzipped, base64-encoded and delivered asynchronously through the lab's
event queue (as on AWS), one invocation per `PutLogEvents` batch.

A function subscribed to its own log group would run forever: each run writes log lines that
trigger the next run. AWS only warns about it in the console. The lab refuses it: creating
such a filter fails with `InvalidParameterException`, and a delivery that would still close
the loop (say the function was re-created under the same name) is recorded in
`lab.dropped_events` instead of invoked. Longer loops (A's logs run B, B's logs run A) are
stopped by the runtime's recursion limit (invoke.recursion_max_hops in the facts file).

As on AWS, `PutSubscriptionFilter` to a function fails with `InvalidParameterException`
("Could not execute the lambda function. ...") unless the function's resource-based policy
allows `logs.amazonaws.com` (or `logs.REGION.amazonaws.com`) for the group's ARN
(`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`); if the permission is removed later,
deliveries are dropped and recorded.
"""

from __future__ import annotations

import base64
import gzip
import json
from types import SimpleNamespace
from typing import Any

from course.lab import alias_routing
from course.lab.iam.resource_policy import missing_permission, service_may_invoke

LOGS_PRINCIPAL = "logs.amazonaws.com"
NO_PERMISSION = (  # AWS's message, word for word
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs "
    "permission to execute your function."
)
_state = SimpleNamespace(lab=None, installed=False)


def own_log_group(function_arn: str) -> str:
    """The log group a function writes to: /aws/lambda/NAME."""
    return f"/aws/lambda/{function_arn.split(':')[6]}"


def encode_payload(data: dict) -> dict:
    """The `{"awslogs": {"data": ...}}` event: JSON, gzipped, then base64-encoded."""
    packed = gzip.compress(json.dumps(data, separators=(",", ":")).encode())
    return {"awslogs": {"data": base64.b64encode(packed).decode()}}


def decode_payload(event: dict) -> dict:
    """The JSON inside a CloudWatch Logs event (what a handler unpacks first)."""
    return json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))


def log_group_arn(account: str, region: str, group: str) -> str:
    """The SourceArn CloudWatch Logs presents for a group: ...:log-group:NAME:*."""
    return f"arn:aws:logs:{region}:{account}:log-group:{group}:*"


def logs_may_invoke(function_arn: str, account: str, region: str, group: str) -> Any:
    """The function policy's decision for CloudWatch Logs (either of its principal names)."""
    return service_may_invoke(
        function_arn,
        LOGS_PRINCIPAL,
        log_group_arn(account, region, group),
        account,
        also_principals=(f"logs.{region}.amazonaws.com",),
    )


def _filter_pattern(account: str, region: str, group: str, filter_name: str) -> str:
    from moto.logs.models import logs_backends

    log_group = logs_backends[account][region].groups.get(group)
    subscription = log_group.subscription_filters.get(filter_name) if log_group else None
    return subscription.filter_pattern if subscription else ""


def _send_log_event(
    self: Any,
    function_arn: str,
    filter_name: str,
    log_group_name: str,
    log_stream_name: str,
    log_events: Any,
) -> None:
    """Replacement for moto's LambdaBackend.send_log_event (see the module docstring)."""
    from moto.logs.utils import EventMessageFilter

    pattern = _filter_pattern(self.account_id, self.region_name, log_group_name, filter_name)
    matching = EventMessageFilter(pattern)
    events = [  # AWS sends each id as a string of digits
        {**e, "id": str(e["id"])} for e in log_events if matching.matches(e["message"])
    ]
    if not events:
        return
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": self.account_id,
        "logGroup": log_group_name,
        "logStream": log_stream_name,
        "subscriptionFilters": [filter_name],
        "logEvents": events,
    }
    event = json.dumps(encode_payload(data))
    fn = alias_routing.resolve(self, function_arn)
    if fn.logs_group_name == log_group_name:
        _state.lab.events.drop(
            fn,
            event,
            "",
            f"Refused: {fn.function_name} is subscribed to its own log group "
            f"{log_group_name}, which would invoke it forever.",
        )
        return
    decision = logs_may_invoke(function_arn, self.account_id, self.region_name, log_group_name)
    if not decision.allowed:  # the permission was removed after the filter was created
        source = log_group_arn(self.account_id, self.region_name, log_group_name)
        reason = missing_permission(decision, source, self.account_id)
        _state.lab.events.drop(fn, event, "", f"CloudWatch Logs could not deliver: {reason}")
        return
    with alias_routing.invoked_as(self, function_arn):
        fn.invoke(event, {"X-Amz-Invocation-Type": "Event"}, {})


def install(lab: Any) -> None:
    """Deliver subscription filter matches to Lambda asynchronously, without loops (idempotent)."""
    _state.lab = lab
    if _state.installed:
        return
    from moto.awslambda.models import LambdaBackend
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.models import LogsBackend

    original_put = LogsBackend.put_subscription_filter

    def put_subscription_filter(
        self: Any,
        log_group_name: str,
        filter_name: str,
        filter_pattern: str,
        destination_arn: str,
        role_arn: str,
    ) -> None:
        is_lambda = destination_arn.split(":")[2:3] == ["lambda"]
        if is_lambda and own_log_group(destination_arn) == log_group_name:
            raise InvalidParameterException(
                f"The function {destination_arn.split(':')[6]} cannot subscribe to its own "
                f"log group {log_group_name}: every run would write log events that invoke "
                "it again, forever. Subscribe it to another log group, or send this group to "
                "another function."
            )
        if (
            is_lambda
            and not logs_may_invoke(
                destination_arn, self.account_id, self.region_name, log_group_name
            ).allowed
        ):
            raise InvalidParameterException(NO_PERMISSION)
        original_put(self, log_group_name, filter_name, filter_pattern, destination_arn, role_arn)

    LogsBackend.put_subscription_filter = put_subscription_filter
    LambdaBackend.send_log_event = _send_log_event
    _state.installed = True

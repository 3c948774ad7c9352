"""The sources table: which services invoke Lambda, how, with what retries, what the lab does.

One place for lessons, the README and the lab itself. Invocation models are checked against
`fact("invocation_types")`; retry numbers are read from the facts file when rendered. A
source the lab does not emulate is never silently ignored: `install(lab)` makes moto refuse
to create its Lambda wiring (IoT topic rules, HTTP API integrations, Step Functions Lambda
tasks) with an error that names the gap, and `require(name)` raises `SourceNotEmulatedError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from course.facts import fact
from course.lab import triggers

FACT_KEYS = {
    "sync": "synchronous",
    "async": "asynchronous",
    "poller": "event_source_mapping_polling",
}
ASYNC_RETRIES = (
    "Async queue: up to {async.max_retry_attempts} for function errors (throttles and system "
    "errors are retried until the maximum event age, up to {async.max_event_age_s}), then the "
    "OnFailure destination or dead-letter queue."
)
STREAM_RETRIES = (
    "The failed batch blocks its shard and is retried: MaximumRetryAttempts default "
    "{esm.streams.max_retry_attempts_default}; BisectBatchOnFunctionError splits it first."
)


class SourceNotEmulatedError(Exception):
    """The lab does not emulate this event source (its Lambda invocations would never happen)."""


@dataclass(frozen=True)
class Source:
    """One service that invokes Lambda functions."""

    name: str
    invocation: str  # sync, async or poller (see FACT_KEYS)
    fact_name: str  # the service's name in fact("invocation_types")
    retries: str  # AWS's retry behaviour; {fact.id} is replaced by the fact
    lab: str  # what the lab does
    module: str | None = None  # the course.lab.triggers module that emulates it
    moto_only: bool = False  # moto's own path runs the function (with the gaps in `lab`)
    sample: str | None = None  # the sample event in course/lab/events

    @property
    def support(self) -> str:
        """'emulated', 'moto only' or 'not emulated' (a module counts once it is installed)."""
        if self.module is not None and self.module in triggers.MODULES:
            return "emulated"
        return "moto only" if self.moto_only else "not emulated"

    def retry_text(self) -> str:
        """The retry behaviour with every {fact.id} replaced by the fact's value and unit."""
        return re.sub(r"\{([a-z0-9_.]+)\}", lambda m: str(fact(m.group(1))), self.retries)


SOURCES: tuple[Source, ...] = (
    Source(
        "Amazon S3 event notifications",
        "async",
        "S3 event notifications",
        ASYNC_RETRIES,
        "Async through the lab's event queue; prefix/suffix filters; needs lambda "
        "add_permission for s3.amazonaws.com, as on AWS.",
        module="notifications",
        sample="s3-put",
    ),
    Source(
        "Amazon SNS subscriptions",
        "async",
        "SNS",
        ASYNC_RETRIES,
        "Async through the lab's event queue with the real topic and subscription ARNs, "
        "message attributes and filter policies; needs lambda add_permission for "
        "sns.amazonaws.com (else the message is dropped and lab.dropped_events says why).",
        module="notifications",
        sample="sns-notification",
    ),
    Source(
        "Amazon SQS",
        "poller",
        "SQS",
        "A failed batch becomes visible again after the queue's visibility timeout and moves "
        "to the dead-letter queue after maxReceiveCount receives.",
        "A poller thread per mapping: BatchSize, batching window, ReportBatchItemFailures, "
        "redrive.",
        module="event_source_mappings",
        sample="sqs-receive-message",
    ),
    Source(
        "Amazon DynamoDB Streams",
        "poller",
        "DynamoDB Streams",
        STREAM_RETRIES,
        "A poller thread per mapping: BatchSize, TRIM_HORIZON/LATEST, retries, bisect, OnFailure.",
        module="event_source_mappings",
        sample="dynamodb-stream-update",
    ),
    Source(
        "Amazon Kinesis Data Streams",
        "poller",
        "Kinesis Data Streams",
        STREAM_RETRIES,
        "A poller thread per mapping: BatchSize, TRIM_HORIZON/LATEST, retries, bisect, "
        "OnFailure; data is base64.",
        module="event_source_mappings",
        sample="kinesis-get-records",
    ),
    Source(
        "Amazon EventBridge rules (event patterns)",
        "async",
        "EventBridge (CloudWatch Events)",
        ASYNC_RETRIES,
        "PutEvents entries matching a rule invoke the target through the lab's event queue; "
        "needs lambda add_permission for events.amazonaws.com with the rule's ARN.",
        module="eventbridge",
        sample="eventbridge-custom-event",
    ),
    Source(
        "Amazon EventBridge schedules",
        "async",
        "EventBridge (CloudWatch Events)",
        ASYNC_RETRIES,
        "rate() and cron() rules fire on the lab clock: lab.advance_time(seconds); needs "
        "lambda add_permission for events.amazonaws.com with the rule's ARN.",
        module="eventbridge",
        sample="eventbridge-scheduled-event",
    ),
    Source(
        "Amazon CloudWatch Logs subscription filters",
        "async",
        "CloudWatch Logs subscriptions",
        ASYNC_RETRIES,
        "Matching log events, gzipped and base64, async through the lab's event queue; a "
        "filter on the function's own log group is refused; needs lambda add_permission for "
        "logs.amazonaws.com with the log group's ARN.",
        module="logs_subscriptions",
        sample="cloudwatch-logs-subscription",
    ),
    Source(
        "Amazon API Gateway REST API (Lambda proxy)",
        "sync",
        "API Gateway",
        "None: the caller gets the error (502 Internal server error).",
        "Real HTTP on 127.0.0.1 at lab.api_url(api_id, stage), proxy event version 1.0; needs "
        "lambda add_permission for apigateway.amazonaws.com (else 500).",
        module="apigateway",
        sample="apigateway-aws-proxy",
    ),
    Source(
        "Amazon API Gateway HTTP API",
        "sync",
        "API Gateway",
        "None: the caller gets the error.",
        "Creating a Lambda integration on an HTTP API raises an error.",
        sample="apigateway-http-api-v2",
    ),
    Source(
        "Amazon Cognito user pool triggers",
        "sync",
        "Cognito triggers",
        "Cognito waits at most {cognito.trigger_timeout_s} for a trigger (the function's own "
        "Timeout does not matter); a call that times out or is throttled is retried, "
        "{cognito.trigger_attempts}. "
        "A handler error fails the Cognito call at once with UserLambdaValidationException.",
        "PreSignUp, PostConfirmation and PreTokenGeneration run inside the Cognito call; the lab "
        "makes one attempt and does not apply Cognito's own time limit; needs lambda "
        "add_permission for cognito-idp.amazonaws.com with the pool's ARN.",
        module="cognito",
        sample="cognito-pre-signup",
    ),
    Source(
        "AWS Secrets Manager rotation",
        "sync",
        "Secrets Manager rotation",
        "A failed step leaves the rotation unfinished; the next rotation retries it.",
        "moto runs the four rotation steps synchronously inside RotateSecret.",
        moto_only=True,
        sample="secrets-manager-rotation",
    ),
    Source(
        "AWS IoT topic rules",
        "async",
        "IoT / IoT Events",
        ASYNC_RETRIES,
        "Creating a topic rule with a Lambda action raises an error.",
    ),
    Source(
        "AWS Step Functions (Lambda task)",
        "sync",
        "Step Functions (Task, request-response)",
        "The state machine's Retry and Catch fields decide.",
        "Creating a state machine with a Lambda task raises an error.",
    ),
    Source(
        "AWS CloudFormation custom resources",
        "async",
        "CloudFormation custom resources",
        ASYNC_RETRIES,
        "moto's response URL points outside the lab.",
    ),
    Source(
        "Lambda function URLs",
        "sync",
        "Lambda function URLs",
        "None: the HTTP client gets the error.",
        "The URL configuration is stored, no HTTP endpoint is served.",
    ),
)


def source(name: str) -> Source:
    """The source whose name contains `name` (case-insensitive), e.g. source('IoT')."""
    found = [s for s in SOURCES if name.lower() in s.name.lower()]
    if len(found) != 1:
        names = ", ".join(s.name for s in SOURCES)
        raise KeyError(f"{len(found)} sources match {name!r}; the sources are: {names}.")
    return found[0]


def not_emulated_message(name: str) -> str:
    """The sentence that names the lab's gap for source `name`."""
    item = source(name)
    return (
        f"NotEmulatedByLab: {item.name} are not emulated by the lab, so this Lambda function "
        f"would never be invoked here. On AWS they invoke it {describe(item.invocation)}. "
        "See course.lab.triggers.catalog.markdown_table() for what the lab runs."
    )


def require(name: str) -> Source:
    """Return source `name`, or raise SourceNotEmulatedError when the lab cannot run it."""
    item = source(name)
    if item.support == "not emulated":
        raise SourceNotEmulatedError(not_emulated_message(name))
    return item


def describe(invocation: str) -> str:
    """A plain phrase for an invocation model."""
    return {
        "sync": "synchronously (the caller waits for the result)",
        "async": "asynchronously (Lambda queues the event)",
        "poller": "through an event source mapping (Lambda polls the source)",
    }[invocation]


def rows() -> list[dict[str, str]]:
    """The table as dicts: source, invocation, retries, lab."""
    return [
        {
            "Source": s.name,
            "Invocation": s.invocation,
            "Retries on AWS": s.retry_text(),
            "In the lab": f"{s.support}: {s.lab}",
        }
        for s in SOURCES
    ]


def markdown_table() -> str:
    """The sources table in Markdown, for lessons and the README."""
    table = rows()
    header = list(table[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        lines.append("| " + " | ".join(row[h].replace("|", "\\|") for h in header) + " |")
    return "\n".join(lines) + "\n"


def text_table() -> str:
    """The sources table as plain text: source, invocation and lab support, one line each."""
    width = max(len(s.name) for s in SOURCES)
    lines = [f"{'Source':<{width}} {'Invocation':<10} In the lab"]
    lines.append("-" * len(lines[0]))
    for s in SOURCES:
        lines.append(f"{s.name:<{width}} {s.invocation:<10} {s.support}")
    return "\n".join(lines) + "\n"


# -- guards: refuse the wiring of sources the lab would never invoke ---------------------
_installed = False


def install(lab: Any) -> None:
    """Make moto refuse Lambda wiring for IoT rules, HTTP APIs and Step Functions tasks."""
    global _installed
    if _installed:
        return
    from moto.apigatewayv2 import models as apigwv2
    from moto.apigatewayv2.exceptions import BadRequestException
    from moto.core.exceptions import JsonRESTError
    from moto.iot import models as iot
    from moto.iot.exceptions import InvalidRequestException
    from moto.stepfunctions import models as sfn

    original_rule = iot.IoTBackend.create_topic_rule
    original_integration = apigwv2.ApiGatewayV2Backend.create_integration
    original_machine = sfn.StepFunctionBackend.create_state_machine

    def create_topic_rule(self: Any, rule_name: str, sql: str, **kwargs: Any) -> None:
        actions = [*(kwargs.get("actions") or []), kwargs.get("error_action") or {}]
        if any("lambda" in a for a in actions):
            _refuse("IoT topic rules", InvalidRequestException)
        return original_rule(self, rule_name, sql, **kwargs)

    def create_integration(self: Any, api_id: str, *args: Any, **kwargs: Any) -> Any:
        uri = str(kwargs.get("integration_uri") or "")
        if ":lambda:" in uri or "function:" in uri:
            _refuse("HTTP API", BadRequestException)
        return original_integration(self, api_id, *args, **kwargs)

    def create_state_machine(self: Any, name: str, definition: str, *args: Any, **kw: Any) -> Any:
        if _invokes_lambda(definition):
            _refuse("Step Functions", lambda m: JsonRESTError("InvalidDefinition", m))
        return original_machine(self, name, definition, *args, **kw)

    iot.IoTBackend.create_topic_rule = create_topic_rule
    apigwv2.ApiGatewayV2Backend.create_integration = create_integration
    sfn.StepFunctionBackend.create_state_machine = create_state_machine
    _installed = True


def _refuse(name: str, error: Any) -> None:
    """Raise the service's own error type, unless another module now emulates the source."""
    if source(name).support == "not emulated":
        raise error(not_emulated_message(name))


def _invokes_lambda(definition: str) -> bool:
    try:
        text = json.dumps(json.loads(definition))
    except ValueError:
        return False
    return ":lambda:" in text or "arn:aws:states:::lambda:invoke" in text

"""The AWS serverless family, and which workloads fit a Lambda function (with the reason).

Lesson 01 renders both tables and its exercises are checked against them. Every AWS number
in a reason is read from the facts file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from course.facts import fact

GOOD, POOR = "good", "poor"

# Service -> what it does for a serverless application.
SERVERLESS_FAMILY: dict[str, str] = {
    "AWS Lambda": "Runs your code in response to events; you pay per request and per ms.",
    "AWS Step Functions": "Orchestrates several steps (functions, services) as a state machine.",
    "Amazon DynamoDB": (
        "A key-value and document database; billed per request in on-demand mode, "
        "per provisioned capacity otherwise."
    ),
    "Amazon Cognito": "Sign-up, log-in and tokens for your application's users.",
    "Amazon API Gateway": "Publishes HTTP APIs (REST, HTTP, WebSocket) in front of functions.",
    "Amazon S3": "Stores files (objects) in buckets, and sends events when they change.",
    "Amazon SNS": "Publish/subscribe: pushes one message to many subscribers.",
    "Amazon SQS": "A message queue that decouples producers from consumers.",
    "Amazon Kinesis": "Ordered real-time data streams, read by several consumers.",
    "Amazon Aurora Serverless": "A relational (MySQL/PostgreSQL) database that scales capacity.",
}

# Other names AWS uses for a service of the family: answers may give any of them.
ALSO_CALLED: dict[str, tuple[str, ...]] = {
    "Amazon S3": ("Amazon Simple Storage Service",),
    "Amazon SNS": ("Amazon Simple Notification Service",),
    "Amazon SQS": ("Amazon Simple Queue Service",),
    "Amazon Cognito": ("Amazon Cognito user pools",),
    "Amazon Kinesis": ("Amazon Kinesis Data Streams",),
    "Amazon Aurora Serverless": ("Amazon Aurora Serverless v2",),
}


def _plain(name: object) -> str:
    """A service name compared loosely: case, punctuation and an AWS/Amazon prefix ignored."""
    words = re.sub(r"[^a-z0-9 ]", " ", str(name).lower().replace("_", " ")).split()
    return " ".join(w for w in words if w not in ("aws", "amazon"))


def service_names(service: str) -> set[str]:
    """Every accepted spelling of a family service (short name and full name), made plain."""
    return {_plain(name) for name in (service, *ALSO_CALLED.get(service, ()))}


def same_service(given: object, service: str) -> bool:
    """Whether an answer names `service` by any of its names.

    'SNS', 'Simple Notification Service' and 'Amazon Simple Notification Service (SNS)' all
    name Amazon SNS.
    """
    names = service_names(service)
    parts = [
        str(given),
        *re.findall(r"\(([^)]*)\)", str(given)),
        re.sub(r"\(.*?\)", "", str(given)),
    ]
    return any(_plain(part) in names for part in parts)


@dataclass(frozen=True)
class Workload:
    """A workload, whether it fits Lambda, and why."""

    name: str
    fit: str
    reason: str


def workloads() -> list[Workload]:
    """Typical workloads with their fit for Lambda; limits come from the facts file."""
    timeout, memory = fact("timeout.max_s"), fact("memory.max_mb")
    return [
        Workload(
            "Make a thumbnail when a photo is uploaded",
            GOOD,
            "event-driven, a few seconds per event, idle between uploads",
        ),
        Workload(
            "A REST API whose traffic comes in bursts",
            GOOD,
            "scales with requests and costs nothing while idle",
        ),
        Workload("A report built every night in two minutes", GOOD, "a short scheduled job"),
        Workload(
            "Process messages from an order queue",
            GOOD,
            "Lambda polls the queue and scales with its depth",
        ),
        Workload(
            "Transcode a two-hour video in one run",
            POOR,
            f"one invocation may run at most {timeout} ({timeout.cite()})",
        ),
        Workload(
            "A game server holding player connections for hours",
            POOR,
            f"long-running and stateful; an invocation ends after at most {timeout}",
        ),
        Workload(
            "A service at a steady, high load around the clock",
            POOR,
            "always-on servers or containers cost less when they are never idle",
        ),
        Workload(
            "An in-memory analytics engine that needs 64 GB of RAM",
            POOR,
            f"a function has at most {memory} of memory ({memory.cite()})",
        ),
        Workload(
            "A trading API that must answer every call, even the first, in under 5 ms",
            POOR,
            "a cold start adds init time to the first call of each execution environment",
        ),
    ]


def family_markdown() -> str:
    """The serverless family as a Markdown table."""
    rows = ["| Service | What it does |", "|---|---|"]
    rows += [f"| {name} | {does} |" for name, does in SERVERLESS_FAMILY.items()]
    return "\n".join(rows)


def workloads_markdown() -> str:
    """The workloads table (workload, fit, why) as Markdown."""
    rows = ["| Workload | Fit for Lambda | Why |", "|---|---|---|"]
    rows += [f"| {w.name} | {w.fit} | {w.reason} |" for w in workloads()]
    return "\n".join(rows)


def invocation_model(service: str) -> str:
    """How `service` invokes a function: 'synchronous', 'asynchronous' or 'event source mapping'."""
    names = {"event_source_mapping_polling": "event source mapping"}
    for model, services in fact("invocation_types").value.items():
        if service in services:
            return names.get(model, model)
    raise KeyError(f"{service!r} is not in the facts file's invocation_types.")

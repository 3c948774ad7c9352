"""The lesson map: every lesson of the course, in one place.

The start-here notebook, the README and the tests all read this list, so a new lesson is
added here once and appears everywhere.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

AVAILABLE = "available"
PLANNED = "planned"


@dataclass(frozen=True)
class Lesson:
    """One lesson: its number, title, notebook, objectives, time budget and status."""

    number: str
    title: str
    notebook: str
    objectives: tuple[str, ...]
    minutes: int
    status: str

    @property
    def available(self) -> bool:
        """Whether the lesson's notebook ships with the course today."""
        return self.status == AVAILABLE


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "00",
        "Start here",
        "notebooks/00_start_here.ipynb",
        (
            "Know how lessons, labs and exercises fit together.",
            "Check that your environment is ready.",
        ),
        10,
        AVAILABLE,
    ),
    Lesson(
        "01",
        "Serverless concepts",
        "notebooks/01_serverless_concepts.ipynb",
        (
            "Say what 'serverless' means and what you still manage.",
            "Tell when a function is a good fit and when it is not.",
            "Build a thumbnail pipeline and a users API with sign-up; avoid the recursive trap.",
        ),
        30,
        AVAILABLE,
    ),
    Lesson(
        "02",
        "Lambda fundamentals",
        "notebooks/02_lambda_fundamentals.ipynb",
        (
            "Write, deploy and invoke a handler; read its event, context and logs.",
            "Tell synchronous, asynchronous and event-source-mapping invocations apart.",
            "Measure cold and warm starts, and read errors and timeouts.",
        ),
        60,
        AVAILABLE,
    ),
    Lesson(
        "03",
        "Pricing",
        "notebooks/03_pricing.ipynb",
        (
            "Compute a monthly bill from requests, duration and memory.",
            "See how memory size and the free tier change the cost.",
        ),
        60,
        AVAILABLE,
    ),
    Lesson(
        "04",
        "Integrations and triggers",
        "notebooks/04_integrations.ipynb",
        (
            "Connect S3, SQS, SNS, DynamoDB Streams, Kinesis, EventBridge, CloudWatch Logs, "
            "API Gateway and Cognito to a function, and read the event each one sends.",
            "Tell sync, async and poller invocations apart by how they handle errors.",
        ),
        75,
        AVAILABLE,
    ),
    Lesson(
        "05",
        "Security",
        "notebooks/05_security.ipynb",
        (
            "Give a function a least-privilege execution role: read an AccessDenied error, "
            "fix the policy, draft one from the calls a function made.",
            "Tell identity from resource-based policies; stop a confused deputy with SourceArn.",
            "Protect a function URL with IAM auth; attach a function to a VPC and give it back "
            "DynamoDB through an endpoint.",
            "Keep secrets out of environment variables; find who did what in CloudTrail.",
        ),
        45,
        AVAILABLE,
    ),
    Lesson(
        "06",
        "Configuration and limits",
        "notebooks/06_configuration_and_limits.ipynb",
        (
            "Measure what memory buys; set timeout, /tmp and environment variables.",
            "Roll out a version with a weighted alias; use reserved and provisioned concurrency.",
            "Share code with layers; read JSON logs and X-Ray traces; deploy for Lambda@Edge.",
            "Hit each limit on purpose and read the error.",
        ),
        75,
        AVAILABLE,
    ),
)


def lesson(number: str) -> Lesson:
    """Return the lesson with this two-digit number, e.g. lesson("03")."""
    for item in LESSONS:
        if item.number == number:
            return item
    raise KeyError(f"No lesson {number!r}; lessons are {[item.number for item in LESSONS]}.")


def markdown_table(from_dir: str = ".") -> str:
    """The lesson map as a Markdown table, with links relative to `from_dir` (repo-relative)."""
    rows = [
        "| # | Lesson | Time | Status | You will |",
        "|---|--------|------|--------|----------|",
    ]
    for item in LESSONS:
        link = posixpath.relpath(item.notebook, from_dir)
        title = f"[{item.title}]({link})" if item.available else item.title
        status = "available" if item.available else "planned (not written yet)"
        rows.append(
            f"| {item.number} | {title} | {item.minutes} min | {status} | "
            f"{' '.join(item.objectives)} |"
        )
    return "\n".join(rows)

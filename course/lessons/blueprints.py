"""The course's starter templates, like the blueprints the Lambda console offers.

Each template in `course/lessons/templates/` is a small handler (`lambda_handler(event, context)`)
that runs unchanged on AWS, and each pairs with one sample event from `course.lab.events`.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from course.lab.events import sample_event

TEMPLATES_DIR = "templates"
HANDLER = "lambda_handler"

# Blueprint name -> the sample event it is written for.
PAIRED_EVENTS = {
    "hello-world": "hello-world",
    "s3-get-object": "s3-put",
    "sqs-batch": "sqs-receive-message",
    "apigateway-proxy": "apigateway-aws-proxy",
    "dynamodb-stream-processor": "dynamodb-stream-update",
    "eventbridge-scheduled": "eventbridge-scheduled-event",
}


class BlueprintNotFoundError(KeyError):
    """No template has the requested name."""

    def __str__(self) -> str:
        return str(self.args[0])


def blueprint_names() -> list[str]:
    """The names of all starter templates, sorted (e.g. 'hello-world', 'sqs-batch')."""
    return sorted(PAIRED_EVENTS)


def _check(name: str) -> None:
    if name not in PAIRED_EVENTS:
        raise BlueprintNotFoundError(
            f"BlueprintNotFound: there is no blueprint called {name!r}. "
            f"Blueprints: {', '.join(blueprint_names())}."
        )


def blueprint_file(name: str) -> Traversable:
    """The template file of blueprint `name` (hyphens become underscores: sqs_batch.py)."""
    _check(name)
    return resources.files("course.lessons").joinpath(TEMPLATES_DIR, f"{name.replace('-', '_')}.py")


def blueprint_source(name: str) -> str:
    """The Python source of blueprint `name`, ready to save as lambda_function.py."""
    return blueprint_file(name).read_text(encoding="utf-8")


def paired_event_name(name: str) -> str:
    """The name of the sample event blueprint `name` is written for."""
    _check(name)
    return PAIRED_EVENTS[name]


def paired_event(name: str) -> dict:
    """A fresh copy of the sample event blueprint `name` is written for."""
    return sample_event(paired_event_name(name))

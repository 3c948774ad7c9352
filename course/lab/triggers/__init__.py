"""Event sources that invoke functions the way AWS does, installed into moto by the lab.

Each module models one family of triggers and has `install(lab)`, called once by
`course.lab.start()` after the runtime is up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Every module with an `install(lab)`, in the order the lab installs them.
MODULES: tuple[str, ...] = (
    "notifications",
    "event_source_mappings",
    "eventbridge",
    "logs_subscriptions",
    "apigateway",
    "cognito",
    "catalog",
)


def install(lab: Any) -> None:
    """Install every trigger family into the running lab."""
    for name in MODULES:
        import_module(f"course.lab.triggers.{name}").install(lab)

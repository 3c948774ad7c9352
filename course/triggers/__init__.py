"""Event sources that invoke functions the way AWS does, installed into moto by the lab.

Each module models one family of triggers and has `install(lab)`, called once by
`course.lab.start()` after the runtime is up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Helpers add their module here when it has an `install(lab)`.
MODULES: tuple[str, ...] = ()


def install(lab: Any) -> None:
    """Install every trigger family into the running lab."""
    for name in MODULES:
        import_module(f"course.triggers.{name}").install(lab)

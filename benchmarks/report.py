"""What every benchmark does with its figures: format them, and write the results file."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def ms(value: float | None) -> str:
    """A duration in milliseconds for a table cell ("-" when it was not measured)."""
    return "-" if value is None else f"{value:.2f} ms"


def times(value: float | None) -> str:
    """A ratio for a table cell, such as "1.65x" ("-" when there is none)."""
    return "-" if value is None else f"{value:.2f}x"


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b to 3 decimals, or None when either is missing or b is 0."""
    return None if a is None or not b else round(a / b, 3)


def load_average(before: float) -> dict[str, float]:
    """The machine's 1-minute load average before a run and now, since others may share it."""
    return {"before": round(before, 2), "after": round(os.getloadavg()[0], 2)}


def publish(
    text: str, report: dict[str, Any], kind: str, day: datetime.date, out: Path | None
) -> Path:
    """Print the report's text and write it as JSON to `out`, by default
    benchmarks/results/<day>-<kind>.json."""
    print(text)
    path = out or RESULTS_DIR / f"{day:%Y-%m-%d}-{kind}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nResults written to {path}.")
    return path

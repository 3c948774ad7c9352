"""AWS Lambda facts (prices, quotas, limits), read from the one data file `facts.json`.

Notebooks, widgets and checks read numbers from here and never retype them, so a price
change is a one-line edit in the data file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

FACTS_FILE = "facts.json"


@dataclass(frozen=True)
class Fact:
    """One fact with where it comes from and what it used to be."""

    id: str
    value: Any
    unit: str
    as_of: str
    source: tuple[str, ...]
    status: str
    history: tuple[dict, ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def number(self) -> Decimal:
        """The value as an exact Decimal (money values are stored as strings)."""
        return Decimal(str(self.value))

    def cite(self) -> str:
        """A short citation, e.g. 'S3, as of 2026-11-20' (with UNVERIFIED or secondary marks)."""
        mark = "" if self.status == "verified" else f", {self.status}"
        return f"{', '.join(self.source)}, as of {self.as_of}{mark}"

    def was(self) -> str:
        """The older values in plain words, or '' when the value never changed."""
        parts = []
        for old in self.history:
            text = f"{_plain(old['value'])} until {old['until']}"
            parts.append(f"{text} ({old['note']})" if old.get("note") else text)
        return "; ".join(parts)

    def __str__(self) -> str:
        return f"{_plain(self.value)} {self.unit}"


def _plain(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return str(value)
    return f"{value:,}"


@cache
def _document() -> dict:
    text = resources.files("course").joinpath(FACTS_FILE).read_text(encoding="utf-8")
    return json.loads(text, parse_float=Decimal)


def fact(fact_id: str) -> Fact:
    """Return the fact called `fact_id`, e.g. fact("memory.max_mb").value == 10240."""
    entries = _document()["facts"]
    if fact_id not in entries:
        close = [k for k in entries if k.split(".")[0] == fact_id.split(".")[0]]
        raise KeyError(f"No fact {fact_id!r} in {FACTS_FILE}. Facts in that group: {close}")
    entry = entries[fact_id]
    return Fact(
        id=fact_id,
        value=entry["value"],
        unit=entry["unit"],
        as_of=entry["as_of"],
        source=tuple(entry["source"]),
        status=entry["status"],
        history=tuple(entry.get("history", ())),
        note=entry.get("note", ""),
    )


def all_facts() -> list[Fact]:
    """Every fact in the data file, in file order."""
    return [fact(fact_id) for fact_id in _document()["facts"]]


def source(source_id: str) -> str:
    """What a source id (S1, S2, ...) refers to."""
    return _document()["sources"][source_id]["what"]


def worked_examples() -> list[dict]:
    """The pricing page's worked examples, with their printed line items and totals."""
    return _document()["worked_examples"]


def as_of() -> str:
    """The date the data file as a whole was last researched."""
    return _document()["as_of"]

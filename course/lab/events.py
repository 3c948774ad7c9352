"""Sample events shaped like the ones AWS services send to Lambda, and shape checks against them.

Each sample in `course/lab/events/` is one JSON event, like a Lambda console test-event template.
`course/lab/events/index.json` says which service sends it, how it invokes the function, which
documentation page its shape follows, and which fields may be missing (`optional`), may be
null (`nullable`) or hold any keys (`open`). Learners invoke functions with these samples;
trigger tests compare the event a trigger really produced with a sample's shape.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

EVENTS_DIR = "events"
INDEX_FILE = "index.json"

# A shape: dict -> {key: shape}; list -> [shape of its items] or [] when empty;
# scalar -> a JSON type name ("string", "number", "boolean", "null"), several joined
# with " or " when items disagree, or "any" when they cannot be described together.
Shape = dict[str, "Shape"] | list["Shape"] | str
ANY = "any"


class SampleEventNotFoundError(KeyError):
    """No sample event has the requested name."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class SampleInfo:
    """What index.json says about one sample event."""

    name: str
    file: str
    service: str
    invocation: str
    about: str
    shape_from: dict
    optional: tuple[str, ...]
    nullable: tuple[str, ...]
    open: tuple[str, ...]


@cache
def _index() -> dict[str, SampleInfo]:
    text = _events_dir().joinpath(INDEX_FILE).read_text(encoding="utf-8")
    infos = {}
    for entry in json.loads(text)["events"]:
        rules = {key: tuple(entry[key]) for key in ("optional", "nullable", "open")}
        fields = {k: v for k, v in entry.items() if k not in rules}
        infos[entry["name"]] = SampleInfo(**fields, **rules)
    return infos


def _events_dir():
    return resources.files("course.lab").joinpath(EVENTS_DIR)


def sample_names() -> list[str]:
    """The names of all sample events, sorted (e.g. 's3-put', 'sqs-receive-message')."""
    return sorted(_index())


def sample_info(name: str) -> SampleInfo:
    """The index entry for sample `name`: service, invocation model, shape source, field rules."""
    infos = _index()
    if name not in infos:
        raise SampleEventNotFoundError(
            f"SampleEventNotFound: there is no sample event called {name!r}. "
            f"Sample events: {', '.join(sorted(infos))}."
        )
    return infos[name]


@cache
def _load(name: str) -> Any:
    text = _events_dir().joinpath(sample_info(name).file).read_text(encoding="utf-8")
    return json.loads(text)


def sample_event(name: str) -> dict:
    """A fresh copy of sample event `name`, safe to change (e.g. sample_event('s3-put'))."""
    return copy.deepcopy(_load(name))


def shape(value: Any) -> Shape:
    """Describe `value`'s structure: dict keys -> shapes, list -> item shape, scalar -> type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [shape(item) for item in value]
        if not items:
            return []
        merged = items[0]
        for item in items[1:]:
            merged = _merge(merged, item)
        return [merged]
    return _type_name(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _merge(a: Shape, b: Shape) -> Shape:
    """One shape that describes both `a` and `b` (keys are united, types joined with 'or')."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {
            key: _merge(a[key], b[key]) if key in a and key in b else a.get(key, b.get(key))
            for key in {**a, **b}
        }
    if isinstance(a, list) and isinstance(b, list):
        if not a or not b:
            return a or b
        return [_merge(a[0], b[0])]
    if isinstance(a, str) and isinstance(b, str):
        if ANY in (a, b):
            return ANY
        return " or ".join(sorted(set(a.split(" or ")) | set(b.split(" or "))))
    return ANY


def _describe(expected: Shape) -> str:
    if isinstance(expected, dict):
        return "an object"
    if isinstance(expected, list):
        return "a list"
    words = {
        "string": "a string",
        "number": "a number",
        "boolean": "a boolean",
        "null": "null",
        ANY: "any value",
    }
    return " or ".join(words.get(part, f"a {part}") for part in expected.split(" or "))


def _matches(patterns: tuple[str, ...], path: list[str]) -> bool:
    for pattern in patterns:
        parts = pattern.split(".")
        if len(parts) != len(path):
            continue
        if all(part in ("*", seg) for part, seg in zip(parts, path, strict=True)):
            return True
    return False


class _Comparison:
    """Walks an actual event against a sample's shape and collects plain-language differences."""

    def __init__(self, info: SampleInfo) -> None:
        self.info = info
        self.differences: list[str] = []

    def note(self, where: str, text: str) -> None:
        self.differences.append(f"{where or 'The event'} {text}")

    def compare(self, actual: Any, expected: Shape, path: list[str], where: str) -> None:
        if expected == ANY:
            return
        if actual is None or expected == "null":
            if actual is None and "null" in str(expected).split(" or "):
                return
            if _matches(self.info.nullable, path):
                return
            self.wrong_type(actual, expected, where)
            return
        if isinstance(expected, dict):
            self.compare_object(actual, expected, path, where)
        elif isinstance(expected, list):
            if not isinstance(actual, list):
                self.wrong_type(actual, expected, where)
                return
            if not expected:
                return
            item_path = [*path[:-1], f"{path[-1] if path else ''}[]"]
            for i, item in enumerate(actual):
                self.compare(item, expected[0], item_path, f"{where}[{i}]")
        elif _type_name(actual) not in expected.split(" or "):
            self.wrong_type(actual, expected, where)

    def compare_object(self, actual: Any, expected: dict, path: list[str], where: str) -> None:
        if not isinstance(actual, dict):
            self.wrong_type(actual, expected, where)
            return
        if _matches(self.info.open, path):
            value_shape = _common_value_shape(expected)
            for key, item in actual.items():
                self.compare(item, value_shape, [*path, key], _join(where, key))
            return
        for key, item_shape in expected.items():
            if key in actual:
                self.compare(actual[key], item_shape, [*path, key], _join(where, key))
            elif not _matches(self.info.optional, [*path, key]):
                self.note(
                    _join(where, key),
                    f"is missing (the {self.info.name} sample has it as {_describe(item_shape)}).",
                )
        for key in actual:
            if key not in expected and not _matches(self.info.optional, [*path, key]):
                self.note(
                    _join(where, key), f"is extra: the {self.info.name} sample has no such field."
                )

    def wrong_type(self, actual: Any, expected: Shape, where: str) -> None:
        self.note(where, f"should be {_describe(expected)}, but it is {_describe(shape(actual))}.")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _common_value_shape(expected: dict) -> Shape:
    """The shape every value of an open map must have, or 'any' when the sample's values differ."""
    values = list(expected.values())
    if values and all(value == values[0] for value in values):
        return values[0]
    return ANY


def shape_differences(actual: Any, sample_name: str) -> list[str]:
    """What is missing, extra or of the wrong type in `actual` next to a sample; [] if none."""
    info = sample_info(sample_name)
    comparison = _Comparison(info)
    comparison.compare(actual, shape(_load(sample_name)), [], "")
    return comparison.differences


def assert_shaped_like(actual: Any, sample_name: str) -> None:
    """Raise AssertionError listing the differences when `actual` is not shaped like the sample."""
    differences = shape_differences(actual, sample_name)
    if differences:
        lines = "\n".join(f"- {line}" for line in differences)
        raise AssertionError(
            f"The event is not shaped like the {sample_name} sample "
            f"({len(differences)} difference(s)):\n{lines}"
        )

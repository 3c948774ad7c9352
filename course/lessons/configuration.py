"""Helpers for lesson 06 (configuration and limits): canary splits, readiness, traces, errors.

Each helper makes plain boto3 calls to the lab (or to AWS: nothing here is lab-only) and
returns plain data the notebook can print or plot.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError


def zip_files(files: dict[str, str | bytes]) -> bytes:
    """A .zip archive (bytes) holding `files`, a mapping of path in the archive to content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def aws_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Run one boto3 call; return AWS's error as 'Code: Message', or 'no error'."""
    try:
        call(*args, **kwargs)
    except ClientError as error:
        details = error.response.get("Error", {})
        return f"{details.get('Code')}: {details.get('Message')}"
    return "no error"


def executed_versions(function_name: str, qualifier: str, calls: int) -> Counter:
    """Invoke `function_name:qualifier` `calls` times; count the `ExecutedVersion` of each."""
    lam = boto3.client("lambda")
    counts: Counter = Counter()
    for _ in range(calls):
        response = lam.invoke(FunctionName=function_name, Qualifier=qualifier)
        counts[response["ExecutedVersion"]] += 1
    return counts


def wait_until_ready(function_name: str, qualifier: str, timeout_s: float = 60) -> list[str]:
    """Poll a provisioned-concurrency config until it leaves IN_PROGRESS; the states seen, in
    order, without repeats (e.g. ['IN_PROGRESS', 'READY'])."""
    lam = boto3.client("lambda")
    states: list[str] = []
    deadline = time.monotonic() + timeout_s
    while True:
        status = lam.get_provisioned_concurrency_config(
            FunctionName=function_name, Qualifier=qualifier
        )["Status"]
        if not states or states[-1] != status:
            states.append(status)
        if status != "IN_PROGRESS" or time.monotonic() > deadline:
            return states
        time.sleep(0.05)


@dataclass(frozen=True)
class Span:
    """One segment or subsegment of an X-Ray trace, in seconds from the trace's start."""

    name: str
    start_s: float
    end_s: float
    depth: int

    @property
    def duration_ms(self) -> float:
        """How long the span lasted, in ms."""
        return (self.end_s - self.start_s) * 1000


def trace_id(header: str) -> str:
    """The trace id (Root=...) in an `_X_AMZN_TRACE_ID` header."""
    fields = dict(part.split("=", 1) for part in header.split(";") if "=" in part)
    if "Root" not in fields:
        raise ValueError(f"No Root=... in the trace header {header!r}.")
    return fields["Root"]


def trace_spans(trace: str) -> list[Span]:
    """Read trace `trace` with xray.batch_get_traces; its segments and subsegments as spans,
    the root segment first, each followed by its subsegments (depth 1, 2, ...) in start order."""
    found = boto3.client("xray").batch_get_traces(TraceIds=[trace])["Traces"]
    if not found:
        raise LookupError(f"X-Ray has no trace {trace}.")
    documents = [json.loads(segment["Document"]) for segment in found[0]["Segments"]]
    documents.sort(key=lambda d: ("parent_id" in d, d["start_time"]))  # the root segment first
    origin = min(d["start_time"] for d in documents)
    spans: list[Span] = []

    def add(document: dict[str, Any], depth: int) -> None:
        name = document.get("origin", document["name"]) if depth == 0 else document["name"]
        spans.append(
            Span(name, document["start_time"] - origin, document["end_time"] - origin, depth)
        )
        for child in sorted(document.get("subsegments", []), key=lambda d: d["start_time"]):
            add(child, depth + 1)

    for document in documents:
        add(document, 0)
    return spans


def slowest_call(spans: list[Span]) -> Span:
    """The slowest AWS SDK call in a Lambda trace: a subsegment of Invocation."""
    calls = sdk_calls(spans)
    if not calls:
        raise LookupError("The trace has no SDK calls under Invocation.")
    return max(calls, key=lambda span: span.duration_ms)


def plot_trace(spans: list[Span], axes: Any) -> None:
    """Draw `spans` as a timeline (one bar per span, indented by depth) on matplotlib `axes`."""
    labels = [("  " * span.depth) + span.name for span in spans]
    rows = range(len(spans))
    axes.barh(
        rows,
        [span.duration_ms for span in spans],
        left=[span.start_s * 1000 for span in spans],
        color=[f"C{span.depth}" for span in spans],
    )
    axes.set_yticks(list(rows), labels)
    axes.invert_yaxis()
    axes.set(xlabel="ms from the start of the trace")


def sdk_calls(spans: list[Span]) -> list[Span]:
    """The AWS SDK calls in a Lambda trace: the subsegments of Invocation, in start order."""
    calls: list[Span] = []
    depth = None
    for span in spans:
        if span.name == "Invocation":
            depth = span.depth
        elif depth is not None and span.depth > depth:
            calls.append(span)
        else:
            depth = None
    return calls


def service_map(spans: list[Span]) -> list[tuple[str, str]]:
    """The edges of a trace's service map: client, Lambda, the function, then each service the
    function called (once each), as X-Ray's console draws it for one trace."""
    roots = [span.name for span in spans if span.depth == 0]
    chain = ["client", *roots]
    edges = list(zip(chain, chain[1:], strict=False))
    for name in dict.fromkeys(call.name for call in sdk_calls(spans)):
        edges.append((chain[-1], name))
    return edges


def plot_service_map(edges: list[tuple[str, str]], axes: Any) -> None:
    """Draw service-map `edges` left to right (one column per hop) on matplotlib `axes`."""
    column: dict[str, int] = {}
    for source, target in edges:
        column.setdefault(source, 0)
        column[target] = column[source] + 1
    rows: dict[int, list[str]] = {}
    for node, x in column.items():
        rows.setdefault(x, []).append(node)
    place = {n: (x, -i + (len(ns) - 1) / 2) for x, ns in rows.items() for i, n in enumerate(ns)}
    for source, target in edges:
        axes.annotate(
            "", place[target], place[source], arrowprops={"arrowstyle": "->", "color": "grey"}
        )
    for node, (x, y) in place.items():
        axes.text(x, y, node, ha="center", va="center", bbox={"boxstyle": "round", "fc": "w"})
    axes.set_xlim(-0.6, max(column.values()) + 0.6)
    half = max(len(nodes) for nodes in rows.values()) / 2
    axes.set_ylim(-half - 0.5, half + 0.5)
    axes.axis("off")

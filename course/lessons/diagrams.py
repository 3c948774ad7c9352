"""Architecture diagrams: one box per service, one labelled arrow per event, with matplotlib.

`draw(architecture)` reads the same description `course.architectures` builds from, so the
picture and the running lab cannot drift apart.
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from course.lessons.architectures import Architecture, Service

BOX_W, BOX_H = 0.95, 0.42
X_GAP = 1.6  # drawing units between columns
COLOURS = {
    "AWS Lambda": "#f7b267",
    "Amazon S3": "#8fd694",
    "Amazon DynamoDB": "#7fb3e6",
    "Amazon Cognito": "#e58fa8",
    "Amazon API Gateway": "#c3a6e6",
}
USER_COLOUR = "#e0e0e0"


def draw(architecture: Architecture) -> Figure:
    """Draw `architecture` and return the Figure (boxes carry the gid 'service:<key>')."""
    figure = Figure(figsize=(10, 3.8))
    axes = figure.add_subplot()
    for service in architecture.services:
        box = FancyBboxPatch(
            (service.x * X_GAP - BOX_W / 2, service.y - BOX_H / 2),
            BOX_W,
            BOX_H,
            boxstyle="round,pad=0.02",
            facecolor=COLOURS.get(service.service, USER_COLOUR),
            edgecolor="#333333",
            gid=f"service:{service.key}",
        )
        axes.add_patch(box)
        x = service.x * X_GAP
        axes.text(x, service.y + 0.06, service.service, ha="center", weight="bold", fontsize=9)
        axes.text(x, service.y - 0.1, service.role, ha="center", fontsize=7)
    for flow in architecture.flows:
        start, end = architecture.service(flow.source), architecture.service(flow.target)
        axes.annotate(
            "",
            xy=_edge(end, start),
            xytext=_edge(start, end),
            arrowprops={"arrowstyle": "->", "color": "#333333"},
        )
        middle = ((start.x + end.x) * X_GAP / 2, (start.y + end.y) / 2 + 0.04)
        label = textwrap.fill(flow.event, 16)
        axes.text(*middle, label, ha="center", va="bottom", fontsize=7, color="#1f3b73")
    xs = [s.x * X_GAP for s in architecture.services]
    ys = [s.y for s in architecture.services]
    axes.set_xlim(min(xs) - BOX_W / 2 - 0.1, max(xs) + BOX_W / 2 + 0.1)
    axes.set_ylim(min(ys) - 0.4, max(ys) + 0.4)
    axes.set_title(architecture.title)
    axes.axis("off")
    figure.tight_layout()
    return figure


def _edge(box: Service, towards: Service) -> tuple[float, float]:
    """Where the line from `box`'s centre towards another box leaves `box`'s border."""
    dx, dy = (towards.x - box.x) * X_GAP, towards.y - box.y
    scale = min(
        (BOX_W / 2 + 0.03) / abs(dx) if dx else float("inf"),
        (BOX_H / 2 + 0.03) / abs(dy) if dy else float("inf"),
    )
    return box.x * X_GAP + dx * scale, box.y + dy * scale

"""Both architectures are drawn from their one description: a box per service, an arrow per flow."""

import io

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from course.lessons import architectures, diagrams

ARCHITECTURES = [architectures.THUMBNAIL_PIPELINE, architectures.USERS_API]


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=lambda a: a.title)
def test_one_box_per_service_and_one_label_per_flow(architecture):
    figure = diagrams.draw(architecture)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    boxes = [p for p in axes.patches if isinstance(p, FancyBboxPatch)]
    assert sorted(b.get_gid() for b in boxes) == sorted(
        f"service:{s.key}" for s in architecture.services
    )
    texts = [t.get_text().replace("\n", " ") for t in axes.texts]
    for service in architecture.services:
        assert service.service in texts and service.role in texts
    for flow in architecture.flows:
        assert flow.event in texts
    arrows = [a for a in axes.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == len(architecture.flows)
    assert axes.get_title() == architecture.title


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=lambda a: a.title)
def test_renders_to_png(architecture):
    buffer = io.BytesIO()
    diagrams.draw(architecture).savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")

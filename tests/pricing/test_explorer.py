"""The explorer's pure functions, and that its controls drive them."""

import ipywidgets as widgets
import pytest

from course.facts import fact
from course.pricing import monthly_cost
from course.pricing.explorer import Explorer, explorer, formula_text, plot, png
from course.pricing.power_tuning import PROFILES, picks, sweep
from course.pricing.power_tuning_live import Measurement


@pytest.fixture(scope="module")
def built() -> Explorer:
    return explorer(requests=3_000_000, workload="CPU-bound, single-threaded")


def test_formula_shows_the_live_numbers_and_the_bill():
    result = sweep(PROFILES["I/O-bound"], 3_000_000)
    billed = result.billed_ms[result.at(1536)]
    text = formula_text(result, 1536)
    assert f"billed {billed:,.0f} ms in 1 ms steps" in text
    assert f"3,000,000 × {billed / 1000:g} s × 1,536 MB ÷ 1,024 MB per GB (1.5 GB)" in text
    assert "Requests: 2,000,000 requests" in text
    expected = monthly_cost(3_000_000, int(billed), 1536)
    assert text.endswith(f"Total: ${expected.total}")


def test_slider_range_comes_from_the_facts(built):
    assert built.memory.min == fact("memory.min_mb").value
    assert built.memory.max == fact("memory.max_mb").value
    assert built.memory.step == fact("memory.step_mb").value
    assert isinstance(built, widgets.VBox)


def test_memory_slider_drives_the_formula(built):
    built.memory.value = 2048
    assert "× 2,048 MB ÷" in built.text
    assert "2,048 MB" in built.formula.value


def test_controls_drive_the_sweep_and_the_picks(built):
    built.architecture.value = "arm64"
    built.free_tier.value = False
    built.requests.value = 9_000_000
    built.workload.value = "CPU-bound, multi-threaded"
    built.weight.value = 0.2
    assert "Compute (arm64, tier 1)" in built.text
    assert "no free tier" in built.text
    expected = sweep(
        PROFILES["CPU-bound, multi-threaded"], 9_000_000, architecture="arm64", free_tier=False
    )
    assert built.chosen == picks(expected, 0.2)
    built.weight.value = 0.9
    assert built.chosen == picks(expected, 0.9)


def test_update_callback_redraws_the_plot(built):
    built.picture.value = b""
    built.update()
    assert bytes(built.picture.value).startswith(b"\x89PNG")


def test_plot_marks_every_pick_and_labels_curves_as_models():
    result = sweep(PROFILES["Mixed"], 1_000_000)
    chosen = picks(result)
    figure = plot(result, 1024, chosen)
    cost_axes, time_axes = figure.axes
    assert "model" in cost_axes.get_title() and "model" in time_axes.get_title()
    legend = [text.get_text() for text in cost_axes.get_legend().get_texts()]
    assert legend == [
        f"cheapest: {chosen['cost']:,} MB",
        f"fastest: {chosen['speed']:,} MB",
        f"balanced: {chosen['balanced']:,} MB",
    ]
    assert png(figure).startswith(b"\x89PNG")


def test_measured_points_are_drawn_beside_the_model():
    result = sweep(PROFILES["CPU-bound, single-threaded"], 1_000_000)
    measured = [
        Measurement(128, (900.0,), (150.0,), (800.0, 820.0)),
        Measurement(1769, (70.0,), (90.0,), (60.0,)),
    ]
    figure = plot(result, 1024, picks(result), measured)
    cost_axes, time_axes = figure.axes
    (points,) = [
        line for line in cost_axes.get_lines() if line.get_label() == "measured in the lab"
    ]
    assert list(points.get_xdata()) == [128, 1769]
    month = monthly_cost(1_000_000, "810.0", 128).exact_total
    assert points.get_ydata()[0] == pytest.approx(float(month))
    assert list(time_axes.get_lines()[-1].get_ydata()) == [810.0, 60.0]

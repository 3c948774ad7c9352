"""The memory-vs-cost explorer: sliders in front of `course.pricing` and `course.power_tuning`.

All logic lives in pure functions (`formula_text`, `plot`); the widget only reads its controls,
calls them and shows the results, so tests can drive it by setting control values.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import ipywidgets as widgets
from matplotlib.figure import Figure

from course.facts import fact
from course.pricing.bill import ARCHITECTURES, Bill, gb, monthly_cost, number
from course.pricing.power_tuning import (
    DEFAULT_BALANCED_WEIGHT,
    PROFILES,
    Sweep,
    exact_bill,
    picks,
    sweep,
)

if TYPE_CHECKING:
    from course.pricing.power_tuning_live import Measurement

PICK_STYLE = {"cost": ("cheapest", "tab:green"), "speed": ("fastest", "tab:red")}
PICK_STYLE["balanced"] = ("balanced", "tab:purple")


def formula_text(result: Sweep, memory_mb: int) -> str:
    """The bill at one memory size, with the formula and its live numbers, as plain text."""
    index = result.at(memory_mb)
    bill: Bill = exact_bill(result, memory_mb)
    modelled, billed = float(result.duration_ms[index]), float(result.billed_ms[index])
    seconds = number(Decimal(str(billed)) / 1000)
    size, mb_per_gb = number(gb(memory_mb)), number(1 / gb(1))
    lines = [
        f"Workload: {result.workload.name} (modelled duration {modelled:,.1f} ms, "
        f"billed {billed:,.0f} ms in {result.billing_granularity_ms:,} ms steps).",
        "GB-s = requests × billed duration (s) × memory (GB)",
        f"     = {result.requests:,} × {seconds} s × {memory_mb:,} MB ÷ {mb_per_gb} MB per GB "
        f"({size} GB)",
        str(bill),
    ]
    return "\n".join(lines)


def plot(
    result: Sweep,
    memory_mb: int,
    chosen: dict[str, int],
    measured: Sequence[Measurement] = (),
) -> Figure:
    """Cost and modelled duration against memory, with the picks and the chosen size marked,
    and measured points (from `power_tuning_live.measure`) beside the model."""
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    cost_axes, time_axes = figure.subplots(1, 2, sharex=True)
    cost_axes.plot(result.memory_mb, result.cost_usd, color="tab:blue")
    cost_axes.set(title="Monthly cost (model)", xlabel="Memory (MB)", ylabel="USD per month")
    time_axes.plot(result.memory_mb, result.duration_ms, color="tab:orange")
    time_axes.set(title="Duration (model)", xlabel="Memory (MB)", ylabel="ms per request")
    for strategy, size in chosen.items():
        label, colour = PICK_STYLE[strategy]
        index = result.at(size)
        label = f"{label}: {size:,} MB"
        cost_axes.plot(size, result.cost_usd[index], "o", color=colour, label=label)
        time_axes.plot(size, result.duration_ms[index], "o", color=colour)
    for axes in (cost_axes, time_axes):
        axes.axvline(memory_mb, color="grey", linestyle="--", linewidth=1)
    if measured:
        sizes = [m.memory_mb for m in measured]
        monthly = [
            float(
                monthly_cost(
                    result.requests,
                    Decimal(str(m.warm_median_ms)),
                    m.memory_mb,
                    architecture=result.architecture,
                    free_tier=result.free_tier,
                ).exact_total
            )
            for m in measured
        ]
        cost_axes.plot(sizes, monthly, "x", color="black", label="measured in the lab")
        time_axes.plot(sizes, [m.warm_median_ms for m in measured], "x", color="black")
    cost_axes.legend(fontsize="small")
    return figure


def png(figure: Figure) -> bytes:
    """A figure rendered to PNG bytes (what the explorer shows)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


class Explorer(widgets.VBox):
    """The explorer widget: controls on top, the formula and the plot below."""

    def __init__(
        self,
        requests: int = 5_000_000,
        workload: str = "Mixed",
        measured: Sequence[Measurement] = (),
    ) -> None:
        self.measured = tuple(measured)  # measured points to show beside the model
        low, high, step = (fact(f"memory.{k}_mb").value for k in ("min", "max", "step"))
        default = fact("memory.default_mb").value
        style = {"description_width": "150px"}
        wide = widgets.Layout(width="600px")
        self.memory = widgets.IntSlider(
            default, min=low, max=high, step=step, description="Memory (MB)",
            continuous_update=False, style=style, layout=wide,
        )  # fmt: skip
        self.requests = widgets.BoundedIntText(
            requests, min=0, max=10**12, description="Requests per month", style=style
        )
        self.architecture = widgets.ToggleButtons(
            options=ARCHITECTURES, description="Architecture", style=style
        )
        self.free_tier = widgets.Checkbox(True, description="Free tier", style=style)
        self.workload = widgets.Dropdown(
            options=list(PROFILES), value=workload, description="Workload (model)", style=style
        )
        self.weight = widgets.FloatSlider(
            DEFAULT_BALANCED_WEIGHT, min=0, max=1, step=0.05, description="Balanced weight",
            continuous_update=False, style=style, layout=wide,
        )  # fmt: skip
        self.formula = widgets.HTML()
        self.picture = widgets.Image(format="png")
        controls = (
            self.memory, self.requests, self.architecture,
            self.free_tier, self.workload, self.weight,
        )  # fmt: skip
        for control in controls:
            control.observe(self.update, names="value")
        super().__init__([*controls, self.picture, self.formula])
        self.update()

    def update(self, change: dict | None = None) -> None:
        """Recompute the sweep, the picks, the formula and the plot from the controls."""
        self.result = sweep(
            PROFILES[self.workload.value],
            self.requests.value,
            architecture=self.architecture.value,
            free_tier=self.free_tier.value,
        )
        self.chosen = picks(self.result, self.weight.value)
        self.text = formula_text(self.result, self.memory.value)
        self.formula.value = f"<pre>{self.text}</pre>"
        figure = plot(self.result, self.memory.value, self.chosen, self.measured)
        self.picture.value = png(figure)


def explorer(
    requests: int = 5_000_000, workload: str = "Mixed", measured: Sequence[Measurement] = ()
) -> Explorer:
    """Build the memory-vs-cost explorer for a notebook cell (with measured points, if any)."""
    return Explorer(requests, workload, measured)

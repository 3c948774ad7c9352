"""The scaling simulator widget: sliders in front of `course.lab.scaling.simulate`.

A steady load with a burst in the middle goes in; concurrency, throttles and cold starts over
time come out, as a plot and a short summary. All logic lives in pure functions (`traffic`,
`summary`, `plot`); the widget only reads its controls and calls them, so tests can drive it
by setting control values. Every AWS number (scaling rate, account limit, unreserved minimum,
timeout) comes from the facts file.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
from matplotlib.figure import Figure

from course.facts import fact
from course.lab.scaling import Step, simulate
from course.pricing.explorer import png

SECONDS = 90  # simulated seconds
BURST_START_S, BURST_END_S = 10, 50  # when the burst runs, in seconds
MAX_RPS = 20_000  # the sliders' top, in requests per second (a choice of this widget)


def traffic(steady_rps: float, burst_rps: float) -> list[float]:
    """Requests per second, one value per second: steady, with a burst from 10 s to 50 s."""
    return [
        burst_rps if BURST_START_S <= second < BURST_END_S else steady_rps
        for second in range(SECONDS)
    ]


def summary(steps: Sequence[Step], limit: int, step_s: float = 1.0) -> str:
    """Peak concurrency, throttled requests and cold starts of a simulation, with units."""
    peak = max((s.concurrency for s in steps), default=0)
    throttled = sum(s.throttled_rps for s in steps) * step_s
    throttled_s = sum(s.throttled_rps > 0 for s in steps) * step_s
    cold = sum(s.cold_starts for s in steps)
    return "\n".join(
        [
            f"Peak concurrency: {peak:,} concurrent executions (limit {limit:,}).",
            f"Throttled: {throttled:,.0f} requests, in {throttled_s:,.0f} of "
            f"{len(steps) * step_s:,.0f} s.",
            f"Cold starts: {cold:,} (one per new execution environment).",
        ]
    )


def plot(steps: Sequence[Step], limit: int) -> Figure:
    """Concurrency needed and served, cold starts and throttles over time."""
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    load, refused = figure.subplots(1, 2, sharex=True)
    seconds = [s.t_s for s in steps]
    load.plot(seconds, [s.needed for s in steps], label="concurrency needed")
    load.plot(seconds, [s.concurrency for s in steps], label="concurrency served")
    load.bar(seconds, [s.cold_starts for s in steps], color="tab:red", label="cold starts")
    load.axhline(limit, color="grey", linestyle=":", label="concurrency limit")
    load.set(title="Concurrency (simulated)", xlabel="second", ylabel="execution environments")
    load.legend(fontsize="small")
    refused.plot(seconds, [s.rps for s in steps], color="tab:blue", label="requests")
    refused.fill_between(
        seconds, [s.throttled_rps for s in steps], color="tab:red", alpha=0.4, label="throttled"
    )
    refused.set(title="Requests (simulated)", xlabel="second", ylabel="requests per second")
    refused.legend(fontsize="small")
    return figure


class ScalingSimulator(widgets.VBox):
    """The widget: traffic, duration and limits on top; the plot and the summary below."""

    def __init__(self, steady_rps: int = 100, burst_rps: int = 5_000, duration_ms: int = 500):
        account = int(fact("concurrency.account_default").value)
        self.unreserved_min = int(fact("concurrency.unreserved_min").value)
        style = {"description_width": "200px"}
        wide = widgets.Layout(width="620px")

        def slider(value: int, low: int, high: int, description: str) -> widgets.IntSlider:
            return widgets.IntSlider(
                value, min=low, max=high, description=description,
                continuous_update=False, style=style, layout=wide,
            )  # fmt: skip

        self.steady = slider(steady_rps, 0, MAX_RPS, "Steady load (requests/s)")
        self.burst = slider(burst_rps, 0, MAX_RPS, "Burst, 10-50 s (requests/s)")
        timeout_ms = int(fact("timeout.max_s").value) * 1000
        self.duration = slider(duration_ms, 1, timeout_ms, "Average duration (ms)")
        self.account = slider(account, self.unreserved_min, 10 * account, "Account limit")
        self.reserve = widgets.Checkbox(False, description="Reserve concurrency", style=style)
        self.reserved = slider(0, 0, account - self.unreserved_min, "Reserved concurrency")
        self.summary = widgets.HTML()
        self.picture = widgets.Image(format="png")
        controls = (self.steady, self.burst, self.duration, self.account, self.reserve)
        for control in (*controls, self.reserved):
            control.observe(self.update, names="value")
        super().__init__([*controls, self.reserved, self.picture, self.summary])
        self.update()

    @property
    def limit(self) -> int:
        """The function's concurrency limit: its reserved concurrency, or the account's."""
        return self.reserved.value if self.reserve.value else self.account.value

    def update(self, change: dict | None = None) -> None:
        """Rerun the simulation from the controls; redraw the plot and the summary."""
        # AWS keeps the unreserved minimum free: reserved <= account limit - minimum.
        self.reserved.max = self.account.value - self.unreserved_min
        self.reserved.disabled = not self.reserve.value
        rates = traffic(self.steady.value, self.burst.value)
        self.steps = simulate(rates, self.duration.value / 1000, concurrency_limit=self.limit)
        self.text = summary(self.steps, self.limit)
        self.summary.value = f"<pre>{self.text}</pre>"
        self.picture.value = png(plot(self.steps, self.limit))

    def __repr__(self) -> str:
        """A short, stable text form (the default lists every child widget's state)."""
        return f"ScalingSimulator:\n{self.text}"


def scaling_simulator(
    steady_rps: int = 100, burst_rps: int = 5_000, duration_ms: int = 500
) -> ScalingSimulator:
    """Build the scaling simulator for a notebook cell."""
    return ScalingSimulator(steady_rps, burst_rps, duration_ms)

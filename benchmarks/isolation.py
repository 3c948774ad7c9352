"""Isolation benchmark: what the lab's sandbox costs at each isolation level, side by side.

    python -m benchmarks isolation               # 15 cold starts and 200 warm calls per row
    python -m benchmarks isolation --quick       # a quick smoke run (2 cold starts, 20 calls)

Each row is the course lab in its own fresh Python process, with the level forced through
LAMBDA_COURSE_ISOLATION (`course.lab.sandbox`), and the CPU share its memory buys
(`course.lab.cpu_share`) as usual, plus one row at the top level with COURSE_CPU_SHARE=off, which
separates the sandbox's cost from the CPU share's. A level this machine cannot reach is reported
as skipped, with the reason the lab gives.

The handler is trivial (`return 1`), measured at two memory sizes: the default and the size that
buys one vCPU (their CPU shares differ). Calls go through boto3 Invoke to the lab's endpoint:

- cold start: deploy a new function, then time its first invoke as the caller sees it; the
  environment is ended afterwards, so every cold start finds an empty lab;
- warm invoke: calls to one warm function per memory size, after a few untimed ones.

The rows take turns, cold start by cold start and then batch by batch of warm calls (each round
starting with the next row), so background load hits every row alike. The ratios divide each
row's medians by those of the "rlimits" row at the same memory size: no namespaces, no cgroups.
Results go to stdout and, as JSON, to benchmarks/results/<date>-isolation.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.invoke import (
    BATCH_CALLS,
    CHILD_TIMEOUT_S,
    WARM_UP_CALLS,
    BenchmarkError,
    _die_with_parent,
    invoker,
    lambda_client,
    machine,
    p90,
    timed_ms,
)
from benchmarks.report import load_average, ms, publish, ratio, times
from course.facts import fact
from course.lab import cpu_share, sandbox

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "def handler(event, context):\n    return 1\n"
ANSWER = 1
BASELINE = "rlimits"
CPU_OFF = "namespaces+cgroups, CPU share off"
ROWS = {  # row -> (LAMBDA_COURSE_ISOLATION, COURSE_CPU_SHARE or None for the usual share)
    "namespaces+cgroups": ("namespaces+cgroups", None),
    "namespaces": ("namespaces", None),
    "rlimits": ("rlimits", None),
    CPU_OFF: ("namespaces+cgroups", "off"),
}


def memory_sizes() -> tuple[int, int]:
    """The memory sizes measured: the default, and the size that buys one vCPU (facts file)."""
    return int(fact("memory.default_mb").value), int(fact("memory.mb_per_vcpu").value)


@dataclass
class Row:
    """One line of the table: one isolation setting at one memory size."""

    row: str
    level: str
    cpu_share: str | None  # the mode the lab used (cgroup-v1, cgroup-v2, duty-cycle, off)
    memory_mb: int
    vcpus: float  # the CPU share that memory buys on this machine
    cold_median_ms: float | None
    cold_p90_ms: float | None
    warm_median_ms: float | None
    warm_p90_ms: float | None
    cold_samples: int
    calls: int
    cold_vs_baseline: float | None = None
    warm_vs_baseline: float | None = None
    skipped: str | None = None


# -- the child: one lab at one setting -----------------------------------------------------------
def end_idle_environments(lab: Any) -> None:
    """End every idle environment now (the next invoke of each function is cold)."""
    keep = lab.runtime.idle_expiry_s
    lab.runtime.idle_expiry_s = 0.0
    try:
        lab.runtime.expire_idle()
    finally:
        lab.runtime.idle_expiry_s = keep


def serve_child() -> None:
    """The child's side: start the lab, say what it reached, then answer requests.

    Requests are JSON lines on stdin: `["cold", memory_mb]` (deploy a new function, time its
    first invoke), `["warm-up"]` (deploy and warm one function per memory size), `["warm",
    memory_mb, calls]`, `["cpu"]` (the CPU share mode now), or `null` to end. Answers are JSON
    lines on the original stdout (what the lab prints goes to /dev/null).
    """
    import course.lab

    _die_with_parent()
    answers = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)

    def answer(value: object) -> None:
        answers.write(json.dumps(value) + "\n")
        answers.flush()

    lab = course.lab.start()
    try:
        client = lambda_client(lab.endpoint_url)
        reason = lab.runtime.sandbox.reason
        answer({"level": lab.isolation, "reason": reason, "cpu": lab.runtime.cpu.mode})
        lab.deploy("warm-up", HANDLER)  # moto loads its Lambda backend lazily
        invoker(client, "warm-up", ANSWER)()
        end_idle_environments(lab)
        made = 0
        warm: dict[int, Any] = {}
        for line in sys.stdin:
            request = json.loads(line)
            if request is None:
                break
            if request[0] == "cold":
                made += 1
                name = f"cold-{made}"
                lab.deploy(name, HANDLER, memory_mb=request[1])
                answer(timed_ms(invoker(client, name, ANSWER)))
                if not [i.cold for i in lab.invocations if i.function == name] == [True]:
                    raise BenchmarkError(f"The first invoke of {name} was not a cold start.")
                end_idle_environments(lab)
            elif request[0] == "warm-up":
                for memory_mb in memory_sizes():
                    lab.deploy(f"warm-{memory_mb}", HANDLER, memory_mb=memory_mb)
                    warm[memory_mb] = invoker(client, f"warm-{memory_mb}", ANSWER)
                    for _ in range(WARM_UP_CALLS + 1):  # the first of them is cold
                        warm[memory_mb]()
                answer(None)
            elif request[0] == "cpu":
                answer(lab.runtime.cpu.mode)  # it may have fallen back meanwhile
            else:
                _, memory_mb, calls = request
                answer([timed_ms(warm[memory_mb]) for _ in range(calls)])
    finally:
        lab.stop()


class Child:
    """A fresh Python process holding one lab at one row's setting."""

    def __init__(self, row: str):
        self.row = row
        level, cpu = ROWS[row]
        env = {**os.environ, sandbox.FORCE_VARIABLE: level}
        env.pop(cpu_share.ENV_VARIABLE, None)
        if cpu:
            env[cpu_share.ENV_VARIABLE] = cpu
        self._errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.isolation", "--child", row],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._errors, text=True,
        )  # fmt: skip
        reached = self._read()
        self.level, self.cpu = reached["level"], reached["cpu"]
        self.skipped = unreached(level, reached["level"], reached["reason"])

    def ask(self, *request: object) -> Any:
        """Send one request and return the child's answer."""
        self.process.stdin.write(json.dumps(list(request)) + "\n")
        self.process.stdin.flush()
        return self._read()

    def _read(self) -> Any:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=CHILD_TIMEOUT_S)
            self._errors.seek(0)
            error_text = self._errors.read()[-3000:]
            raise BenchmarkError(f"The {self.row} benchmark process failed:\n{error_text}")
        return json.loads(line)

    def close(self) -> None:
        """End the child (it stops its lab first) and wait for it."""
        with contextlib.suppress(OSError):
            self.process.stdin.write("null\n")
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._errors.close()


def unreached(requested: str, reached: str, reason: str) -> str | None:
    """Why a row is skipped: the lab fell back below the level it was asked for (else None)."""
    if reached == requested:
        return None
    return f"this machine reaches {reached} only, not {requested}: {reason}"


def turns(items: list, round_number: int) -> list:
    """`items` starting with a different one each round, so no row always goes first."""
    if not items:
        return []
    start = round_number % len(items)
    return items[start:] + items[:start]


# -- measuring -----------------------------------------------------------------------------------
def measure(rows: list[str], calls: int, cold_samples: int) -> list[Row]:
    """Start one child per row, then time cold starts and warm batches, the rows taking turns."""
    sizes = memory_sizes()
    children: list[Child] = []
    try:
        for row in rows:
            print(f"Starting the lab for {row} ...", file=sys.stderr)
            children.append(Child(row))
        live = [child for child in children if not child.skipped]
        cold: dict[tuple[str, int], list[float]] = {}
        print(f"Timing {cold_samples} cold starts per row and size ...", file=sys.stderr)
        for sample in range(cold_samples):
            for child in turns(live, sample):
                for memory_mb in sizes:
                    cold.setdefault((child.row, memory_mb), []).append(child.ask("cold", memory_mb))
        for child in live:
            child.ask("warm-up")
        warm: dict[tuple[str, int], list[float]] = {}
        print(f"Timing {calls} warm calls per row and size, in batches ...", file=sys.stderr)
        for number, done in enumerate(range(0, calls, BATCH_CALLS)):
            for child in turns(live, number):
                for memory_mb in sizes:
                    samples = child.ask("warm", memory_mb, min(BATCH_CALLS, calls - done))
                    warm.setdefault((child.row, memory_mb), []).extend(samples)
        for child in live:
            child.cpu = child.ask("cpu")  # the CPU share mode at the end
    finally:
        for child in children:
            child.close()
    result = []
    for child in children:
        for memory_mb in sizes:
            key = (child.row, memory_mb)
            result.append(make_row(child, memory_mb, cold.get(key, []), warm.get(key, [])))
    return with_ratios(result)


def make_row(child: Child, memory_mb: int, cold: list[float], warm: list[float]) -> Row:
    """Summarise one row's samples at one memory size (a skipped row has none)."""

    def summary(samples: list[float]) -> tuple[float | None, float | None]:
        if not samples:
            return None, None
        return round(statistics.median(samples), 3), round(p90(samples), 3)

    cpus = round(cpu_share.share(memory_mb), 3)
    return Row(
        child.row, child.level, child.cpu, memory_mb, cpus,
        *summary(cold), *summary(warm), len(cold), len(warm), skipped=child.skipped,
    )  # fmt: skip


def with_ratios(rows: list[Row]) -> list[Row]:
    """Each row's medians divided by the baseline row's at the same memory size."""
    base = {row.memory_mb: row for row in rows if row.row == BASELINE and not row.skipped}
    for row in rows:
        baseline = base.get(row.memory_mb)
        if baseline and not row.skipped:
            row.cold_vs_baseline = ratio(row.cold_median_ms, baseline.cold_median_ms)
            row.warm_vs_baseline = ratio(row.warm_median_ms, baseline.warm_median_ms)
    return rows


def render(report: dict[str, Any]) -> str:
    """The table, the notes and the machine facts as plain text."""
    s = report["settings"]
    lines = [
        f"Isolation benchmark, {report['date']}: handler `return 1`; cold start = first invoke "
        f"after a deploy ({s['cold_samples']} per row and size), warm = {s['calls']} calls "
        f"({WARM_UP_CALLS} untimed first); x = median / the {BASELINE} row's at the same size.",
        "",
        f"{'row':<34} {'memory':>8} {'vCPUs':>5} {'CPU share':<10} {'cold median':>11} "
        f"{'cold p90':>10} {'warm median':>11} {'warm p90':>10} {'cold x':>6} {'warm x':>6}",
    ]
    for row in report["rows"]:
        row = Row(**row)
        if row.skipped:
            lines.append(f"{row.row:<34} {row.memory_mb:>5} MB  SKIPPED: {row.skipped}")
            continue
        lines.append(
            f"{row.row:<34} {row.memory_mb:>5} MB {row.vcpus:>5.3f} {row.cpu_share or '-':<10} "
            f"{ms(row.cold_median_ms):>11} {ms(row.cold_p90_ms):>10} "
            f"{ms(row.warm_median_ms):>11} {ms(row.warm_p90_ms):>10} "
            f"{times(row.cold_vs_baseline):>6} {times(row.warm_vs_baseline):>6}"
        )
    m = report["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    load = m["load_average"]
    lines += ["", *(f"Note: {note}" for note in report["notes"])]
    lines += [
        "",
        f"Machine: {m['cores']} cores ({m['usable_cores']} usable), {m['cpu']}, "
        f"{m['platform']}, Python {m['python']}, running as "
        f"{'root' if m['root'] else 'a user'}; {packages}.",
        f"Load average (1 min) before and after: {load['before']} and {load['after']}.",
    ]
    return "\n".join(lines)


NOTES = [
    "Each row is its own lab in its own Python process; the rows took turns, cold start by "
    "cold start and batch by batch, so background load fell on every row alike.",
    "Below namespaces+cgroups the CPU share is the duty-cycle throttle (SIGSTOP/SIGCONT), which "
    "holds back only shares below one vCPU; the CPU-share-off row shows the sandbox alone.",
]


# -- entry point ---------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: --calls, --cold-samples, --quick, --note, --out."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks isolation", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--calls", type=int, help="warm calls per row and size (default 200)")
    parser.add_argument("--cold-samples", type=int, help="cold starts per row and size (15)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: 20 calls, 2 cold")
    parser.add_argument("--note", action="append", default=[], help="a note for the results")
    parser.add_argument("--out", type=Path, help="JSON file (default results/<date>-isolation)")
    parser.add_argument("--child", choices=list(ROWS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.calls = args.calls or (20 if args.quick else 200)
    args.cold_samples = args.cold_samples or (2 if args.quick else 15)
    if args.calls < 1 or args.cold_samples < 1:
        parser.error("--calls and --cold-samples must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark: print the table and write the JSON results."""
    args = parse_args(argv)
    if args.child:
        serve_child()
        return 0
    now, load_before = datetime.datetime.now(datetime.UTC), os.getloadavg()[0]
    rows = measure(list(ROWS), args.calls, args.cold_samples)
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "settings": {
            "calls": args.calls,
            "cold_samples": args.cold_samples,
            "batch_calls": BATCH_CALLS,
            "warm_up_calls": WARM_UP_CALLS,
            "quick": args.quick,
            "handler": HANDLER,
            "baseline": BASELINE,
            "rows": {row: {"isolation": lvl, "cpu_share": cpu} for row, (lvl, cpu) in ROWS.items()},
        },
        "rows": [asdict(row) for row in rows],
        "notes": [*NOTES, *args.note],
        "machine": {
            **machine(),
            "root": os.geteuid() == 0,
            "load_average": load_average(load_before),
        },
    }
    publish(render(report), report, "isolation", now.date(), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

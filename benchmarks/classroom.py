"""Classroom sizing benchmark: the memory and CPU of learners, each with their own lab.

    python -m benchmarks classroom               # lesson 04 by 1, 2 and 4 learners side by side,
                                                 # then one learner's whole day (lessons 00-04)
    python -m benchmarks classroom --learners 1 --no-day
    python -m benchmarks classroom --quick       # a smoke run: one learner, lesson 00

A learner is what a classroom gives each person: a JupyterLab server (`lambda-course lab` on
its own port and scratch copy of notebooks/) and one kernel per lesson that runs it with
nbclient, as Run All would, and stays open, as a notebook tab that is never closed. A kernel
that uses the course lab holds moto (a thread in the kernel), the template process that forks
execution environments, and the environments (worker processes) themselves.

Each learner lives in its own child process (the "driver", which stands in for the browser and
is not counted). The parent samples every learner's process tree from /proc: PSS (each shared
page divided among the processes sharing it, so PSS adds up across learners) and RSS, by role,
and CPU time (user + system, with that of reaped children). Four phases:

- fresh: the JupyterLab servers alone, before any kernel;
- running: while the lessons run, every SAMPLE_S (peak memory; CPU-seconds and wall time);
- rest: after the lessons, kernels and labs idle, their environments still warm;
- expired: after each lab's idle expiry (set to EXPIRE_S here) ended the idle environments.

Results go to stdout and, as JSON, to benchmarks/results/<date>-classroom.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.invoke import machine
from benchmarks.report import load_average, publish

ROOT = Path(__file__).resolve().parent.parent
LESSON = "04"  # run side by side by 1, 2 and 4 learners
QUICK_LESSON = "00"
DAY = ["00", "01", "02", "03", "04"]  # one learner's whole day, one kernel per lesson
SAMPLE_S = 0.25
REST_SETTLE_S = 3.0  # wait after the lesson before the "rest" samples
REST_SAMPLES = 8
CELL_TIMEOUT_S = 600
RAM_SIZES_GB = (8, 16, 32)
RESERVE_MB = 1024  # left to the OS and the hub on a class machine (our choice, not measured)
ROLES = ("server", "kernel", "template", "environment", "other")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class BenchmarkError(RuntimeError):
    """A learner failed to start, to run its lesson, or to stop."""


# -- /proc parsing (pure) -----------------------------------------------------------------------
def status_kb(text: str, name: str) -> int:
    """A `Name:   123 kB` field of /proc/PID/status or smaps_rollup, in kB (0 when absent)."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return int(value.split()[0])
    return 0


@dataclass(frozen=True)
class Stat:
    """What the benchmark uses from /proc/PID/stat."""

    ppid: int
    cpu_ticks: int  # utime + stime + cutime + cstime


def parse_stat(text: str) -> Stat:
    """Parse /proc/PID/stat; the command name may hold spaces and parentheses."""
    fields = text.rsplit(")", 1)[1].split()
    # fields[0] is the state; ppid is field 4 of the file, utime..cstime fields 14-17.
    return Stat(int(fields[1]), sum(int(value) for value in fields[11:15]))


def descendants(parents: dict[int, int], root: int) -> list[int]:
    """`root` and every process below it, from a {pid: ppid} map, parents before children."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        if pid in parents or pid == root:
            found.append(pid)
            queue.extend(sorted(children.get(pid, [])))
    return found


def role(cmdline: list[str], parent_role: str | None) -> str:
    """What a process of a learner is, from its command line and its parent's role."""
    text = " ".join(cmdline)
    if parent_role == "template":
        return "environment"  # forked from the template: same command line, one per environment
    if "course.lab.worker" in text:
        return "template"
    if "ipykernel_launcher" in text or "ipykernel" in text:
        return "kernel"
    if "course.cli lab" in text or "jupyterlab" in text or "jupyter-lab" in text:
        return "server"
    return "other"


@dataclass
class Sample:
    """One learner's tree at one moment: memory by role (MB), process counts, CPU ticks."""

    pss_mb: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)
    cpu_ticks: int = 0

    def add(self, what: str, pss_kb: int, rss_kb: int, ticks: int) -> None:
        """Count one process."""
        self.pss_mb[what] = self.pss_mb.get(what, 0.0) + pss_kb / 1024
        self.rss_mb[what] = self.rss_mb.get(what, 0.0) + rss_kb / 1024
        self.count[what] = self.count.get(what, 0) + 1
        self.cpu_ticks += ticks

    @property
    def pss_total_mb(self) -> float:
        """PSS of the whole learner, MB."""
        return sum(self.pss_mb.values())

    @property
    def rss_total_mb(self) -> float:
        """RSS of the whole learner, MB (counts shared pages once per process)."""
        return sum(self.rss_mb.values())


# -- /proc reading ---------------------------------------------------------------------------
def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as file:
        return file.read()


def process_table() -> dict[int, Stat]:
    """Every live process's parent and CPU ticks."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                table[int(name)] = parse_stat(_read(f"/proc/{name}/stat"))
    return table


def sample_tree(driver: int) -> Sample:
    """Memory and CPU of everything below a learner's driver process (not the driver itself)."""
    table = process_table()
    parents = {pid: stat.ppid for pid, stat in table.items()}
    sample = Sample()
    roles: dict[int, str] = {}
    for pid in descendants(parents, driver)[1:]:
        try:
            cmdline = _read(f"/proc/{pid}/cmdline").split("\0")
            pss = status_kb(_read(f"/proc/{pid}/smaps_rollup"), "Pss")
            rss = status_kb(_read(f"/proc/{pid}/status"), "VmRSS")
        except OSError:
            continue  # it ended while we looked
        roles[pid] = role(cmdline, roles.get(parents[pid]))
        sample.add(roles[pid], pss, rss, table[pid].cpu_ticks)
    return sample


# -- sizing (pure) ---------------------------------------------------------------------------
def learners_per_machine(ram_gb: int, per_learner_mb: float, reserve_mb: float) -> int:
    """How many learners fit in `ram_gb` of memory, `reserve_mb` kept for the OS and the hub."""
    if per_learner_mb <= 0:
        raise ValueError("The memory per learner must be positive.")
    return max(0, math.floor((ram_gb * 1024 - reserve_mb) / per_learner_mb))


def cores_for_class(learners: int, cpu_s: float, wall_s: float) -> float:
    """Cores a class needs to run the same cell at once as fast as one learner alone."""
    if wall_s <= 0:
        raise ValueError("The wall time of the cell must be positive.")
    return learners * cpu_s / wall_s


def sizing_table(
    per_learner_mb: dict[str, float], heaviest_cell: dict[str, Any], reserve_mb: float
) -> list[dict[str, Any]]:
    """One row per machine size: for each memory profile, the learners that fit and the cores
    that many learners need to run the heaviest cell at once as fast as one learner alone."""
    rows = []
    for ram_gb in RAM_SIZES_GB:
        fits = {
            profile: learners_per_machine(ram_gb, mb, reserve_mb)
            for profile, mb in per_learner_mb.items()
        }
        cores = {
            profile: round(cores_for_class(n, heaviest_cell["cpu_s"], heaviest_cell["wall_s"]), 1)
            for profile, n in fits.items()
        }
        rows.append({"ram_gb": ram_gb, "learners": fits, "cores": cores})
    return rows


def summarise(samples: list[Sample]) -> dict[str, Any]:
    """Median (rest) of a list of samples: memory by role and totals, MB, and process counts."""
    if not samples:
        raise BenchmarkError("No sample was taken.")
    roles = sorted({r for s in samples for r in s.pss_mb}, key=ROLES.index)

    def median(values: Iterable[float]) -> float:
        return round(statistics.median(values), 1)

    return {
        "pss_mb": {r: median(s.pss_mb.get(r, 0) for s in samples) for r in roles},
        "rss_mb": {r: median(s.rss_mb.get(r, 0) for s in samples) for r in roles},
        "count": {r: max(s.count.get(r, 0) for s in samples) for r in roles},
        "pss_total_mb": median(s.pss_total_mb for s in samples),
        "rss_total_mb": median(s.rss_total_mb for s in samples),
    }


# -- one learner (runs in a child process: the driver) ---------------------------------------
def scratch_course(parent: Path) -> Path:
    """A copy of notebooks/ for one learner (the checkout is never written)."""
    root = parent / "course"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    return root


def wait_for_server(port: int, token: str, server: subprocess.Popen) -> None:
    """Wait until JupyterLab answers /api/status."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"}
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise BenchmarkError("lambda-course lab did not start.") from None
            time.sleep(0.3)


@contextlib.contextmanager
def jupyterlab(work: Path) -> Iterator[subprocess.Popen]:
    """`lambda-course lab --root <scratch copy>` on a free 127.0.0.1 port, stopped at the end."""
    from course.cli import free_port

    port, token = free_port(0), uuid.uuid4().hex
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(work / "jupyter-runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(work / "jupyter-workspaces"),
    }
    command = [sys.executable, "-m", "course.cli", "lab", "--port", str(port), "--token", token]
    server = subprocess.Popen(
        [*command, "--root", str(work / "course")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_server(port, token, server)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_learner(lessons: list[str]) -> None:
    """The driver: start a learner, then follow the parent's commands on stdin.

    Prints `ready`; on `go` runs each lesson in its own kernel (all kept open, as a learner who
    never closes a notebook) and prints one JSON line with the wall and CPU seconds of each cell
    (the kernel's tree); on `expire` sets the lab's idle expiry to EXPIRE_S in every kernel,
    waits until the lab ended its idle environments by itself and prints `expired`; on `stop`
    shuts everything down.
    """
    with tempfile.TemporaryDirectory(prefix="classroom-learner-") as tmp:
        work = Path(tmp)
        root = scratch_course(work)
        with jupyterlab(work), contextlib.ExitStack() as kernels:
            print("ready", flush=True)
            _expect("go")
            cells, clients = [], []
            for lesson in lessons:
                client, nb = _client(root / "notebooks" / lesson)
                kernels.enter_context(client.setup_kernel())
                clients.append(client)
                kernel = client.km.provisioner.process.pid
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code":
                        cells.append({"lesson": lesson, **_run_cell(client, cell, index, kernel)})
            print(json.dumps({"cells": cells}), flush=True)
            _expect("expire")
            for client in clients:
                left = _run_cell(client, nbformat_cell(EXPIRE_CODE), -1, 0)["stdout"]
                if left.strip() != "0":
                    raise BenchmarkError(f"The lab still holds {left.strip()} environments.")
            print("expired", flush=True)
            _expect("stop")


# Run in each kernel by the driver: a short idle expiry, then wait for the lab's own timer.
EXPIRE_S = 1.0
EXPIRE_CODE = f"""import time, course.lab
lab = course.lab.running()
if lab is not None:
    lab.idle_expiry_s = {EXPIRE_S}
    deadline = time.monotonic() + 30
    while lab.environments() and time.monotonic() < deadline:
        time.sleep(0.1)
print(0 if lab is None else len(lab.environments()))"""


def nbformat_cell(source: str) -> Any:
    """A code cell holding `source`."""
    import nbformat

    return nbformat.v4.new_code_cell(source)


def _client(path: Path) -> tuple[Any, Any]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    return client, nb


def _run_cell(client: Any, cell: Any, index: int, kernel: int) -> dict[str, Any]:
    """Run one cell; its wall time, the CPU time of the kernel's tree and its stdout."""
    before, start = _tree_ticks(kernel), time.perf_counter()
    client.execute_cell(cell, index)
    wall = time.perf_counter() - start
    cpu = (_tree_ticks(kernel) - before) / TICKS
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if errors:
        raise BenchmarkError(f"Cell {index}: {errors[0].ename}: {errors[0].evalue}")
    stdout = "".join(o.text for o in cell.outputs if o.get("name") == "stdout")
    return {"cell": index, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "stdout": stdout}


def _expect(word: str) -> None:
    line = sys.stdin.readline().strip()
    if line != word:
        raise BenchmarkError(f"The driver expected {word!r} and got {line!r}.")


def _tree_ticks(root: int) -> int:
    if not root:
        return 0
    table = process_table()
    parents = {pid: stat.ppid for pid, stat in table.items()}
    return sum(table[pid].cpu_ticks for pid in descendants(parents, root) if pid in table)


# -- N learners side by side (the parent) ------------------------------------------------------
@dataclass
class Run:
    """What N learners side by side measured, each running the same lessons."""

    learners: int
    lessons: list[str]
    fresh: dict[str, Any]  # the JupyterLab servers alone, before any kernel
    running_peak_pss_mb: float
    running_peak_rss_mb: float
    running_cpu_s: float
    running_wall_s: float
    rest: dict[str, Any]  # after the lessons: kernels and labs idle, environments still warm
    expired: dict[str, Any]  # after the labs' idle expiry ended the idle environments
    cells: list[list[dict[str, Any]]]


def _total(samples: Iterable[Sample]) -> Sample:
    """Several learners' samples added up, role by role."""
    total = Sample()
    for sample in samples:
        for name in sample.pss_mb:
            total.pss_mb[name] = total.pss_mb.get(name, 0.0) + sample.pss_mb[name]
            total.rss_mb[name] = total.rss_mb.get(name, 0.0) + sample.rss_mb[name]
            total.count[name] = total.count.get(name, 0) + sample.count[name]
        total.cpu_ticks += sample.cpu_ticks
    return total


def measure(learners: int, lessons: list[str], env: dict[str, str]) -> Run:
    """Start `learners` drivers; sample them fresh, while the lessons run, at rest, expired."""
    drivers = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks", "classroom", "--driver", ",".join(lessons)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(learners)
    ]
    try:
        for driver in drivers:
            _read_line(driver, "ready")
        fresh = _rest_samples(drivers)
        start_ticks, start = fresh[-1].cpu_ticks, time.perf_counter()
        _tell(drivers, "go")
        running = _sample_until_done(drivers)
        wall = time.perf_counter() - start
        cells = [json.loads(_read_line(driver, "{"))["cells"] for driver in drivers]
        rest = _rest_samples(drivers)
        _tell(drivers, "expire")
        for driver in drivers:
            _read_line(driver, "expired")
        expired = _rest_samples(drivers)
        _tell(drivers, "stop")
        for driver in drivers:
            if driver.wait(timeout=120) != 0:
                raise BenchmarkError(f"A learner's driver exited with {driver.returncode}.")
    finally:
        for driver in drivers:
            if driver.poll() is None:
                driver.kill()
                driver.wait()
    return Run(
        learners,
        lessons,
        summarise(fresh),
        round(max(s.pss_total_mb for s in running), 1),
        round(max(s.rss_total_mb for s in running), 1),
        round((running[-1].cpu_ticks - start_ticks) / TICKS, 2),
        round(wall, 2),
        summarise(rest),
        summarise(expired),
        cells,
    )


def _rest_samples(drivers: list[subprocess.Popen]) -> list[Sample]:
    time.sleep(REST_SETTLE_S)
    return [_total(sample_tree(d.pid) for d in drivers) for _ in range(REST_SAMPLES)]


def _tell(drivers: list[subprocess.Popen], word: str) -> None:
    for driver in drivers:
        driver.stdin.write(f"{word}\n")
        driver.stdin.flush()


def _read_line(driver: subprocess.Popen, prefix: str) -> str:
    line = driver.stdout.readline()
    if not line.startswith(prefix):
        raise BenchmarkError(f"A learner's driver said {line!r} instead of {prefix!r}.")
    return line


def _sample_until_done(drivers: list[subprocess.Popen]) -> list[Sample]:
    """Sample every SAMPLE_S until each driver has printed its cell timings."""
    import select

    samples, pending = [], set(drivers)
    while pending:
        samples.append(_total(sample_tree(d.pid) for d in drivers))
        readable, _, _ = select.select([d.stdout for d in pending], [], [], SAMPLE_S)
        for driver in [d for d in pending if d.stdout in readable]:
            pending.discard(driver)  # its JSON line waits in the pipe for _read_line
        if any(d.poll() is not None for d in drivers):
            raise BenchmarkError("A learner's driver ended while the lesson ran.")
    samples.append(_total(sample_tree(d.pid) for d in drivers))
    return samples


def heaviest_cell(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """The cell of one learner's lessons that used the most CPU time."""
    return max(cells, key=lambda cell: cell["cpu_s"])


# -- report ------------------------------------------------------------------------------------
def per_learner_profiles(lesson_run: Run, day_run: Run | None) -> dict[str, float]:
    """PSS of one learner (MB) in each state the sizing table plans for."""
    lesson = lesson_run.lessons[-1].split("_")[0]
    profiles = {
        f"lesson {lesson}, environments warm": lesson_run.rest["pss_total_mb"],
        f"lesson {lesson}, after idle expiry": lesson_run.expired["pss_total_mb"],
    }
    if day_run is not None:
        count = len(day_run.lessons)
        profiles[f"{count} lessons, {count} kernels, environments warm"] = day_run.rest[
            "pss_total_mb"
        ]
        profiles[f"{count} lessons, {count} kernels, after idle expiry"] = day_run.expired[
            "pss_total_mb"
        ]
    return profiles


def render(report: dict[str, Any]) -> str:
    """The runs, the per-role split of one learner and the sizing table as plain text."""
    lines = [f"Classroom benchmark, {report['date']}.", ""]
    lines.append(
        f"{'learners':>8}  {'lessons':<14} {'server':>7} {'peak':>8} {'rest':>8} {'expired':>8} "
        f"{'rest RSS':>9} {'CPU':>8} {'wall':>7}   (PSS unless said)"
    )
    for run in report["runs"]:
        names = ",".join(name.split("_")[0] for name in run["lessons"])
        lines.append(
            f"{run['learners']:>8}  {names:<14} {run['fresh']['pss_total_mb']:>4.0f} MB "
            f"{run['running_peak_pss_mb']:>5.0f} MB {run['rest']['pss_total_mb']:>5.0f} MB "
            f"{run['expired']['pss_total_mb']:>5.0f} MB {run['rest']['rss_total_mb']:>6.0f} MB "
            f"{run['running_cpu_s']:>6.1f} s {run['running_wall_s']:>5.1f} s"
        )
    one_learner = [run for run in report["runs"] if run["learners"] == 1]
    for run in one_learner:
        names = ",".join(name.split("_")[0] for name in run["lessons"])
        for phase in ("rest", "expired"):
            one = run[phase]
            split = ", ".join(
                f"{name} {one['pss_mb'][name]:.0f} MB ({one['count'][name]})"
                for name in one["pss_mb"]
            )
            lines.append(f"One learner, lessons {names}, {phase}, PSS by role: {split}.")
    cell = report["heaviest_cell"]
    lines.append(
        f"Heaviest cell (one learner alone): {cell['lesson']} cell {cell['cell']}, "
        f"{cell['cpu_s']:.2f} CPU-s in {cell['wall_s']:.2f} s."
    )
    lines += [
        "",
        f"Sizing: learners per machine ({report['reserve_mb']} MB kept for the OS and the hub), "
        "and the cores they need to run the heaviest cell at once as fast as one learner alone:",
    ]
    for profile in report["per_learner_mb"]:
        fits = ", ".join(
            f"{row['ram_gb']} GB: {row['learners'][profile]} ({row['cores'][profile]} cores)"
            for row in report["sizing"]
        )
        lines.append(f"  {profile} ({report['per_learner_mb'][profile]:.0f} MB): {fits}")
    load = report["machine"]["load_average"]
    lines.append(f"\nLoad average (1 min) before and after: {load['before']} and {load['after']}.")
    return "\n".join(lines)


def lesson_files(prefixes: list[str]) -> list[str]:
    """Notebook file names in notebooks/ for lesson numbers such as 00 or 04."""
    names = []
    for prefix in prefixes:
        found = sorted(path.name for path in (ROOT / "notebooks").glob(f"{prefix}_*.ipynb"))
        if len(found) != 1:
            raise ValueError(f"No single lesson {prefix!r} in notebooks/ (found {found}).")
        names.append(found[0])
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: --learners, --lesson, --no-day, --quick, --reserve-mb, --out."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks classroom", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--learners", default="1,2,4", help="side-by-side counts (default 1,2,4)")
    parser.add_argument("--lesson", default=LESSON, help=f"lesson run side by side ({LESSON})")
    parser.add_argument("--no-day", action="store_true", help="skip one learner's whole day")
    parser.add_argument("--quick", action="store_true", help="one learner, lesson 00: a smoke run")
    parser.add_argument("--reserve-mb", type=int, default=RESERVE_MB, help="kept for OS and hub")
    parser.add_argument("--out", type=Path, help="JSON file (default results/<date>-classroom)")
    parser.add_argument("--driver", metavar="LESSONS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.learners = [int(n) for n in args.learners.split(",")]
    except ValueError:
        parser.error("--learners takes comma-separated whole numbers, e.g. 1,2,4")
    if args.quick:
        args.learners, args.lesson, args.no_day = [1], QUICK_LESSON, True
    if not args.learners or min(args.learners) < 1 or args.learners[0] != 1:
        parser.error("--learners must start with 1 (the one-learner figures), all at least 1")
    try:
        args.lesson = lesson_files([args.lesson])[0]
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark: print the table and write the JSON results."""
    args = parse_args(argv)
    if args.driver:
        run_learner(args.driver.split(","))
        return 0
    if not sys.platform.startswith("linux"):
        print("The classroom benchmark reads /proc: it runs on Linux only.", file=sys.stderr)
        return 2
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    now, load_before = datetime.datetime.now(datetime.UTC), os.getloadavg()[0]
    runs = [measure(n, [args.lesson], env) for n in args.learners]
    day = None
    if not args.no_day:
        day = measure(1, lesson_files(DAY), env)
        runs.append(day)
    heaviest = heaviest_cell(runs[0].cells[0])
    per_learner = per_learner_profiles(runs[0], day)
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "settings": {
            "sample_s": SAMPLE_S,
            "rest_samples": REST_SAMPLES,
            "rest_settle_s": REST_SETTLE_S,
            "expire_s": EXPIRE_S,
            "quick": args.quick,
        },
        "runs": [asdict(run) for run in runs],
        "heaviest_cell": heaviest,
        "reserve_mb": args.reserve_mb,
        "per_learner_mb": per_learner,
        "sizing": sizing_table(per_learner, heaviest, args.reserve_mb),
        "machine": {
            **machine(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "load_average": load_average(load_before),
        },
    }
    publish(render(report), report, "classroom", now.date(), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

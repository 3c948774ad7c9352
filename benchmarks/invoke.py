"""Invoke benchmark: the course runtime against moto's echo floor and python-lambda-local.

    python -m benchmarks                 # 200 warm calls per row, 7 cold starts per row
    python -m benchmarks --quick         # a quick smoke run (20 calls, 2 cold starts)

Each runtime lives in its own fresh Python process, so no patch or import of one can change
another's numbers. The processes are set up (and their cold starts timed) one after the other;
then their warm calls are timed in alternating batches, so background load hits every row alike:

- course.lab: boto3 Invoke against the lab's ThreadedMotoServer on 127.0.0.1, with the handler
  really running in an execution environment (a worker process);
- moto echo: boto3 Invoke against a stock ThreadedMotoServer on 127.0.0.1 with moto's
  `lambda.use_docker: False` backend, which echoes the payload and runs no code (the floor);
- python-lambda-local: no endpoint exists, so warm calls go through its `call()` API (a fork per
  call) and a cold start is one run of its command line (a new Python process).

A cold start is the first invoke after deploy, timed as the caller sees it.
Results go to stdout and, as JSON, to benchmarks/results/<date>-invoke.json.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import importlib.metadata
import io
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.report import ms, publish, ratio, times

ROOT = Path(__file__).resolve().parent.parent

HANDLERS = {
    "trivial": 'def handler(event, context):\n    return {"ok": True, "n": event["n"]}\n',
    "boto3 client at init": (
        "import boto3\n\n"
        's3 = boto3.client("s3")\n\n\n'
        "def handler(event, context):\n"
        '    return {"ok": True, "n": event["n"]}\n'
    ),
}
EVENT = {"n": 1}
ANSWER = {"ok": True, "n": 1}  # what both handlers return for EVENT
WARM_UP_CALLS = 5  # untimed calls before the warm samples
BATCH_CALLS = 10  # warm calls per batch; the rows take turns batch by batch

COURSE, ECHO, LAMBDA_LOCAL = "course.lab", "moto echo", "python-lambda-local"
ECHO_HANDLER = "any (no code runs)"
RUNTIMES = (COURSE, ECHO, LAMBDA_LOCAL)
HOW = {
    COURSE: "boto3 Invoke -> ThreadedMotoServer 127.0.0.1 -> worker process runs the handler",
    ECHO: "boto3 Invoke -> stock ThreadedMotoServer 127.0.0.1, use_docker False: echo, no code",
    LAMBDA_LOCAL: "warm: lambda_local.main.call() (forks per call); cold: its CLI, new Python",
}
# The project's own goals for the course runtime (not AWS facts).
WARM_RATIO_TARGET = 1.25
COLD_TARGET_MS = 60.0
CHILD_TIMEOUT_S = 600


class BenchmarkError(RuntimeError):
    """A measured call did not return the expected answer, or a runtime failed to run."""


@dataclass
class Row:
    """One line of the table: one runtime and one handler."""

    runtime: str
    handler: str
    warm_median_ms: float | None
    warm_p90_ms: float | None
    cold_median_ms: float | None
    calls: int
    cold_samples: int
    how: str
    skipped: str | None = None


# -- timing --------------------------------------------------------------------------------
def p90(samples: list[float]) -> float:
    """The 90th percentile by nearest rank (a value that was really measured)."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def timed_ms(call: Callable[[], object]) -> float:
    """Milliseconds one call takes."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def warm_up(call: Callable[[], object]) -> Callable[[], object]:
    """Make a few untimed calls first (imports, caches, connections); return `call`."""
    for _ in range(WARM_UP_CALLS):
        call()
    return call


def make_row(runtime: str, handler: str, warm: list[float], cold: list[float]) -> Row:
    """Summarise the samples of one runtime and handler."""
    return Row(
        runtime,
        handler,
        round(statistics.median(warm), 3),
        round(p90(warm), 3),
        round(statistics.median(cold), 3),
        len(warm),
        len(cold),
        HOW[runtime],
    )


@dataclass
class Subject:
    """One handler on one runtime, ready for warm calls: its cold starts and a warm call."""

    cold_ms: list[float]
    call: Callable[[], object]


# -- through boto3 (course and echo) ---------------------------------------------------------
def lambda_client(endpoint_url: str, service: str = "lambda") -> Any:
    """A boto3 client of the local endpoint, without retries (a retry would hide a failure)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
    )


def invoker(client: Any, name: str, answer: object) -> Callable[[], None]:
    """A function that invokes `name` once with EVENT and checks the answer."""
    payload = json.dumps(EVENT).encode()

    def call() -> None:
        response = client.invoke(FunctionName=name, Payload=payload)
        body = response["Payload"].read()
        if response.get("FunctionError") or json.loads(body) != answer:
            raise BenchmarkError(f"Invoke of {name} returned {body[:300]!r}.")

    return call


@contextlib.contextmanager
def course_subjects(cold_samples: int) -> Iterator[dict[str, Subject]]:
    """The course runtime: cold starts of fresh deploys, then one warm function per handler."""
    import course.lab

    lab = course.lab.start()
    try:
        client = lambda_client(lab.endpoint_url)
        lab.deploy("warm-up", HANDLERS["trivial"])  # moto loads its Lambda backend lazily
        invoker(client, "warm-up", ANSWER)()
        subjects = {}
        for index, (kind, source) in enumerate(HANDLERS.items()):
            cold = []
            for sample in range(cold_samples):
                lab.deploy(f"h{index}-{sample}", source)
                cold.append(timed_ms(invoker(client, f"h{index}-{sample}", ANSWER)))
            subjects[kind] = Subject(cold, warm_up(invoker(client, f"h{index}-0", ANSWER)))
        first: dict[str, bool] = {}
        for invocation in lab.invocations:
            first.setdefault(invocation.function, invocation.cold)
        if not all(cold for name, cold in first.items() if name != "warm-up"):
            raise BenchmarkError("A first invoke after a deploy was not a cold start.")
        yield subjects
    finally:
        lab.stop()


def zip_handler(source: str) -> bytes:
    """A deployment package with the handler saved as app.py."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@contextlib.contextmanager
def echo_subjects(cold_samples: int) -> Iterator[dict[str, Subject]]:
    """moto's own no-Docker backend on a stock ThreadedMotoServer: echoes, runs no code."""
    import logging

    from moto.core.config import default_user_config
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # as the course lab does
    default_user_config["lambda"]["use_docker"] = False
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = lambda_client(endpoint)
        role = lambda_client(endpoint, "iam").create_role(
            RoleName="bench-role", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]

        def deploy(name: str) -> None:
            client.create_function(
                FunctionName=name,
                Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
                Role=role,
                Handler="app.handler",
                Code={"ZipFile": zip_handler(HANDLERS["trivial"])},
            )

        deploy("warm-up")  # moto loads its Lambda backend lazily
        invoker(client, "warm-up", EVENT)()
        cold = []
        for sample in range(cold_samples):
            deploy(f"echo-{sample}")
            cold.append(timed_ms(invoker(client, f"echo-{sample}", EVENT)))
        yield {ECHO_HANDLER: Subject(cold, warm_up(invoker(client, "echo-0", EVENT)))}
    finally:
        server.stop()


# -- python-lambda-local ---------------------------------------------------------------------
def lambda_local_version() -> str | None:
    """The installed python-lambda-local version, or None when it is not installed."""
    try:
        return importlib.metadata.version("python-lambda-local")
    except importlib.metadata.PackageNotFoundError:
        return None


@contextlib.contextmanager
def lambda_local_subjects(cold_samples: int) -> Iterator[dict[str, Subject]]:
    """python-lambda-local: cold starts through its CLI, warm calls through `call()`."""
    from lambda_local.context import Context
    from lambda_local.main import call, load_source

    from course.facts import fact

    timeout_s = int(fact("timeout.default_s").value)
    subjects = {}
    with tempfile.TemporaryDirectory(prefix="bench-lambda-local-") as work:
        event_file = Path(work, "event.json")
        event_file.write_text(json.dumps(EVENT))
        for index, (kind, source) in enumerate(HANDLERS.items()):
            handler_file = Path(work, f"handler{index}.py")
            handler_file.write_text(source)
            command = [sys.executable, "-m", "lambda_local", str(handler_file), str(event_file)]
            command += ["-f", "handler", "-t", str(timeout_s)]

            def run_cli(command: list[str] = command) -> None:
                subprocess.run(command, stdout=subprocess.DEVNULL, check=True, timeout=60)

            cold = [timed_ms(run_cli) for _ in range(cold_samples)]
            func = load_source(f"bench{index}", str(handler_file), "handler")

            def call_once(func: Callable = func) -> None:
                result, error = call(func, dict(EVENT), Context(timeout_s))
                if error is not None or result != ANSWER:
                    raise BenchmarkError(f"python-lambda-local returned {result!r}.")

            subjects[kind] = Subject(cold, warm_up(call_once))
        yield subjects


SUBJECTS = {COURSE: course_subjects, ECHO: echo_subjects, LAMBDA_LOCAL: lambda_local_subjects}


# -- one fresh process per runtime -------------------------------------------------------------
def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the benchmark ends, so nothing is orphaned."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def serve_child(runtime: str, cold_samples: int) -> None:
    """The child's side: set up, report cold starts, then time warm batches on request.

    Requests are JSON lines on stdin, `[handler, calls]`, or `null` to end; answers are JSON
    lines on the original stdout (the measured code's own prints go to /dev/null).
    """
    _die_with_parent()
    answers = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)

    def answer(value: object) -> None:
        answers.write(json.dumps(value) + "\n")
        answers.flush()

    with SUBJECTS[runtime](cold_samples) as subjects:
        answer({kind: subject.cold_ms for kind, subject in subjects.items()})
        for line in sys.stdin:
            request = json.loads(line)
            if request is None:
                break
            kind, calls = request
            answer([timed_ms(subjects[kind].call) for _ in range(calls)])


class Child:
    """A fresh Python process that holds one runtime, set up and warm, for timed batches."""

    def __init__(self, runtime: str, cold_samples: int):
        self.runtime = runtime
        self._errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in close()
        command = [sys.executable, "-m", "benchmarks.invoke", "--child", runtime]
        self.process = subprocess.Popen(
            [*command, "--cold-samples", str(cold_samples)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors,
            text=True,
        )  # fmt: skip
        self.cold_ms: dict[str, list[float]] = self._read()

    def _read(self) -> Any:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=CHILD_TIMEOUT_S)
            self._errors.seek(0)
            error_text = self._errors.read()[-3000:]
            raise BenchmarkError(f"The {self.runtime} benchmark process failed:\n{error_text}")
        return json.loads(line)

    def time_calls(self, kind: str, calls: int) -> list[float]:
        """Milliseconds of `calls` warm calls of handler `kind`, made in the child."""
        self.process.stdin.write(json.dumps([kind, calls]) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        """End the child (it stops its runtime first) and wait for it."""
        with contextlib.suppress(OSError):
            self.process.stdin.write("null\n")
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._errors.close()


def measure(runtimes: list[str], calls: int, cold_samples: int) -> list[Row]:
    """Set up each runtime in turn (cold starts), then time warm calls in alternating batches.

    Interleaving the batches spreads any background load evenly over every row, so the ratios
    stay fair on a busy machine.
    """
    children: list[Child] = []
    try:
        for runtime in runtimes:
            print(f"Setting up {runtime} and timing its cold starts ...", file=sys.stderr)
            children.append(Child(runtime, cold_samples))
        warm: dict[tuple[str, str], list[float]] = {}
        print(f"Timing {calls} warm calls per row, in batches ...", file=sys.stderr)
        for done in range(0, calls, BATCH_CALLS):
            for child in children:
                for kind in child.cold_ms:
                    samples = child.time_calls(kind, min(BATCH_CALLS, calls - done))
                    warm.setdefault((child.runtime, kind), []).extend(samples)
    finally:
        for child in children:
            child.close()
    return [
        make_row(child.runtime, kind, warm[child.runtime, kind], cold)
        for child in children
        for kind, cold in child.cold_ms.items()
    ]


def skipped_rows(runtime: str, reason: str) -> list[Row]:
    """Rows that say why `runtime` was not measured."""
    return [Row(runtime, kind, None, None, None, 0, 0, HOW[runtime], reason) for kind in HANDLERS]


# -- report ------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    """Facts about the machine and the package versions the numbers depend on."""
    versions = {}
    for package in ("boto3", "botocore", "moto", "werkzeug", "python-lambda-local"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _find(rows: list[Row], runtime: str, handler: str | None = None) -> Row | None:
    for row in rows:
        if row.runtime == runtime and (handler is None or row.handler == handler):
            return None if row.skipped else row
    return None


def ratio_key(name: str, handler: str) -> str:
    """The JSON key of a ratio for one handler, e.g. course_warm_vs_echo_warm.trivial."""
    return f"{name}.{handler.replace(' ', '_')}"


def ratios(rows: list[Row]) -> dict[str, float | None]:
    """Course against the echo floor, against its cold-start goal and python-lambda-local."""
    echo = _find(rows, ECHO)
    result: dict[str, float | None] = {}
    for kind in HANDLERS:
        course = _find(rows, COURSE, kind)
        local = _find(rows, LAMBDA_LOCAL, kind)
        c_warm = course and course.warm_median_ms
        c_cold = course and course.cold_median_ms
        result[ratio_key("course_warm_vs_echo_warm", kind)] = ratio(
            c_warm, echo and echo.warm_median_ms
        )
        result[ratio_key("course_warm_vs_lambda_local_warm", kind)] = ratio(
            c_warm, local and local.warm_median_ms
        )
        result[ratio_key("course_cold_vs_lambda_local_cli", kind)] = ratio(
            c_cold, local and local.cold_median_ms
        )
    boto3_row = _find(rows, COURSE, list(HANDLERS)[1])
    result["course_cold_boto3_ms"] = boto3_row and boto3_row.cold_median_ms
    return result


def render(report: dict[str, Any]) -> str:
    """The table, the ratios and the machine facts as plain text."""
    s = report["settings"]
    lines = [
        f"Invoke benchmark, {report['date']}: {s['calls']} warm calls per row "
        f"({WARM_UP_CALLS} untimed warm-up calls first); cold start = median of "
        f"{s['cold_samples']} first invokes after a deploy, timed as the caller sees it.",
        "",
        f"{'runtime':<20} {'handler':<21} {'warm median':>11} {'warm p90':>11} "
        f"{'cold median':>11}  how it is measured",
    ]
    for row in report["rows"]:
        row = Row(**row)
        how = f"SKIPPED: {row.skipped}" if row.skipped else row.how
        lines.append(
            f"{row.runtime:<20} {row.handler:<21} {ms(row.warm_median_ms):>11} "
            f"{ms(row.warm_p90_ms):>11} {ms(row.cold_median_ms):>11}  {how}"
        )
    r = report["ratios"]
    names = list(HANDLERS)
    lines += ["", "Ratios (warm = medians):"]
    for kind in names:
        value = r[ratio_key("course_warm_vs_echo_warm", kind)]
        lines.append(
            f"  course warm / echo floor warm, {kind} handler: {times(value)} "
            f"(target <= {WARM_RATIO_TARGET}: {_verdict(value, WARM_RATIO_TARGET, True)})"
        )
    cold = r["course_cold_boto3_ms"]
    lines.append(
        f"  course cold start, {names[1]} handler: {ms(cold)} "
        f"(target < {COLD_TARGET_MS:.0f} ms: {_verdict(cold, COLD_TARGET_MS, False)})"
    )
    for kind in names:
        lines.append(
            f"  course / python-lambda-local, {kind} handler: warm "
            f"{times(r[ratio_key('course_warm_vs_lambda_local_warm', kind)])}, cold "
            f"{times(r[ratio_key('course_cold_vs_lambda_local_cli', kind)])} "
            "(below 1 = course faster)"
        )
    m = report["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    lines += [
        "",
        f"Machine: {m['cores']} cores ({m['usable_cores']} usable), {m['cpu']}, "
        f"{m['platform']}, Python {m['python']}; {packages}.",
    ]
    return "\n".join(lines)


def _verdict(value: float | None, target: float, inclusive: bool) -> str:
    if value is None:
        return "not measured"
    met = value <= target if inclusive else value < target
    return "met" if met else "MISSED"


# -- entry point ---------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: --calls, --cold-samples, --quick, --runtimes, --out."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--calls", type=int, help="warm calls per row (default 200; quick: 20)")
    parser.add_argument("--cold-samples", type=int, help="cold starts per row (default 7; quick 2)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run, not for numbers")
    parser.add_argument(
        "--runtimes",
        default=",".join(RUNTIMES),
        help=f"comma-separated, from: {', '.join(RUNTIMES)}",
    )
    parser.add_argument(
        "--out", type=Path, help="JSON file (default benchmarks/results/<date>-invoke.json)"
    )
    parser.add_argument("--child", choices=RUNTIMES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.calls = args.calls or (20 if args.quick else 200)
    args.cold_samples = args.cold_samples or (2 if args.quick else 7)
    args.runtimes = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    unknown = set(args.runtimes) - set(RUNTIMES)
    if unknown:
        parser.error(f"unknown runtime(s): {', '.join(sorted(unknown))}")
    if args.calls < 1 or args.cold_samples < 1:
        parser.error("--calls and --cold-samples must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark: print the table and ratios, and write the JSON results."""
    args = parse_args(argv)
    if args.child:
        serve_child(args.child, args.cold_samples)
        return 0
    now = datetime.datetime.now(datetime.UTC)
    runtimes = list(args.runtimes)
    skipped: list[Row] = []
    if LAMBDA_LOCAL in runtimes and lambda_local_version() is None:
        runtimes.remove(LAMBDA_LOCAL)
        reason = "python-lambda-local is not installed (pip install -r requirements-bench.txt)"
        skipped = skipped_rows(LAMBDA_LOCAL, reason)
    rows = measure(runtimes, args.calls, args.cold_samples) + skipped
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "settings": {"calls": args.calls, "cold_samples": args.cold_samples, "quick": args.quick},
        "handlers": list(HANDLERS),
        "rows": [asdict(row) for row in rows],
        "ratios": ratios(rows),
        "targets": {
            "course_warm_vs_echo_warm": WARM_RATIO_TARGET,
            "course_cold_boto3_ms": COLD_TARGET_MS,
        },
        "machine": machine(),
    }
    publish(render(report), report, "invoke", now.date(), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

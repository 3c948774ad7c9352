"""The invoke benchmark runs end to end in --quick mode (no timing is asserted here)."""

import importlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.processes import processes_with

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"date", "settings", "handlers", "rows", "ratios", "targets", "machine"}
ROW_KEYS = {"runtime", "handler", "warm_median_ms", "warm_p90_ms", "cold_median_ms", "calls"}


@pytest.fixture
def invoke():
    """benchmarks/invoke.py (found from the repo root: pytest's `pythonpath` setting)."""
    return importlib.import_module("benchmarks.invoke")


def test_quick_run_prints_every_row_writes_json_and_leaves_no_process(invoke, tmp_path):
    marker = f"BENCH_TEST_RUN={uuid.uuid4().hex}"
    out = tmp_path / "invoke.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--calls", "3", "--cold-samples", "1"]
        + ["--out", str(out)],
        cwd=ROOT,
        env={**os.environ, marker.split("=")[0]: marker.split("=")[1]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    for runtime, handler in [
        *[(invoke.COURSE, kind) for kind in invoke.HANDLERS],
        (invoke.ECHO, "any (no code runs)"),
        *[(invoke.LAMBDA_LOCAL, kind) for kind in invoke.HANDLERS],
    ]:
        assert any(line.startswith(f"{runtime:<20} {handler}") for line in lines), runtime
    assert "course warm / echo floor warm" in run.stdout
    assert "Machine:" in run.stdout

    report = json.loads(out.read_text())
    assert set(report) >= KEYS
    assert len(report["rows"]) == 5
    measured = [row for row in report["rows"] if not row["skipped"]]
    assert all(set(row) >= ROW_KEYS for row in report["rows"])
    assert all(row["calls"] == 3 and row["warm_median_ms"] > 0 for row in measured)
    course = [row for row in measured if row["runtime"] == invoke.COURSE]
    assert len(course) == 2 and report["ratios"]["course_warm_vs_echo_warm.trivial"] > 0

    deadline = time.time() + 5
    while processes_with(marker) and time.time() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == [], "the benchmark left processes behind"


def test_lambda_local_row_is_skipped_when_the_package_is_missing(
    invoke, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(invoke, "lambda_local_version", lambda: None)
    out = tmp_path / "invoke.json"
    assert invoke.main(["--quick", "--runtimes", invoke.LAMBDA_LOCAL, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("SKIPPED: python-lambda-local is not installed") == len(invoke.HANDLERS)
    report = json.loads(out.read_text())
    assert all(row["skipped"] for row in report["rows"])
    assert report["ratios"]["course_warm_vs_lambda_local_warm.trivial"] is None

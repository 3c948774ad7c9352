"""The isolation benchmark runs end to end in --quick mode (no timing is asserted here), and its
pure parts: skipping an unreached level, taking turns, ratios to the baseline row."""

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
KEYS = {"date", "settings", "rows", "notes", "machine"}


@pytest.fixture
def isolation():
    """benchmarks/isolation.py (found from the repo root: pytest's `pythonpath` setting)."""
    return importlib.import_module("benchmarks.isolation")


def test_quick_run_prints_every_row_writes_json_and_leaves_no_process(isolation, tmp_path):
    marker = f"BENCH_TEST_RUN={uuid.uuid4().hex}"
    out = tmp_path / "isolation.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "isolation", "--quick", "--calls", "2"]
        + ["--cold-samples", "1", "--note", "a test run", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, marker.split("=")[0]: marker.split("=")[1]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    sizes = isolation.memory_sizes()
    for row in isolation.ROWS:
        for memory_mb in sizes:
            assert any(
                line.startswith(f"{row:<34} {memory_mb:>5} MB") for line in run.stdout.splitlines()
            ), (row, memory_mb)
    assert "Note: a test run" in run.stdout and "Load average (1 min)" in run.stdout

    report = json.loads(out.read_text())
    assert set(report) >= KEYS and "a test run" in report["notes"]
    assert len(report["rows"]) == len(isolation.ROWS) * len(sizes)
    measured = [row for row in report["rows"] if not row["skipped"]]
    assert all(row["level"] == isolation.ROWS[row["row"]][0] for row in measured)
    assert all(row["calls"] == 2 and row["cold_samples"] == 1 for row in measured)
    assert all(row["warm_median_ms"] > 0 and row["cold_median_ms"] > 0 for row in measured)
    off = [row for row in measured if row["row"] == isolation.CPU_OFF]
    assert all(row["cpu_share"] == "off" for row in off)
    baseline = [row for row in report["rows"] if row["row"] == isolation.BASELINE]
    assert baseline and not any(row["skipped"] for row in baseline)  # rlimits is always there
    assert all(row["cold_vs_baseline"] == row["warm_vs_baseline"] == 1.0 for row in baseline)

    deadline = time.time() + 5
    while processes_with(marker) and time.time() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == [], "the benchmark left processes behind"


def test_a_level_the_lab_fell_back_from_is_skipped_with_the_reason(isolation):
    assert isolation.unreached("namespaces", "namespaces", "") is None
    reason = isolation.unreached("namespaces", "rlimits", "user namespaces are not allowed")
    assert reason == (
        "this machine reaches rlimits only, not namespaces: user namespaces are not allowed"
    )


def test_rows_take_turns_starting_with_the_next_one_each_round(isolation):
    rows = ["a", "b", "c"]
    assert [isolation.turns(rows, n) for n in range(4)] == [
        ["a", "b", "c"],
        ["b", "c", "a"],
        ["c", "a", "b"],
        ["a", "b", "c"],
    ]
    assert isolation.turns([], 3) == []


def _row(isolation, name, memory_mb, cold, warm, skipped=None):
    samples = 0 if skipped else 1
    return isolation.Row(
        name, name, "off", memory_mb, 1.0, cold, cold, warm, warm, samples, samples, skipped=skipped
    )


def test_ratios_divide_by_the_baseline_at_the_same_memory_size(isolation):
    rows = isolation.with_ratios(
        [
            _row(isolation, "namespaces", 128, 90.0, 6.0),
            _row(isolation, "namespaces", 1769, 40.0, 3.0),
            _row(isolation, "rlimits", 128, 30.0, 4.0),
            _row(isolation, "rlimits", 1769, 20.0, 4.0),
            _row(isolation, "namespaces+cgroups", 128, None, None, skipped="no cgroups"),
        ]
    )
    assert [(row.cold_vs_baseline, row.warm_vs_baseline) for row in rows] == [
        (3.0, 1.5),
        (2.0, 0.75),
        (1.0, 1.0),
        (1.0, 1.0),
        (None, None),
    ]


def test_without_a_baseline_there_are_no_ratios(isolation):
    rows = isolation.with_ratios(
        [
            _row(isolation, "namespaces", 128, 90.0, 6.0),
            _row(isolation, "rlimits", 128, None, None, skipped="forced off"),
        ]
    )
    assert rows[0].cold_vs_baseline is None and rows[0].warm_vs_baseline is None

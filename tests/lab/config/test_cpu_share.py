"""Memory buys CPU: a CPU-bound handler's share of a CPU follows its memory, as on AWS."""

import json
import os
from pathlib import Path

import pytest

from course.facts import fact
from course.lab import cpu_share
from course.lab.cpu_share import CpuShare, share

SPIN = """
import time

def handler(event, context):
    cpu, wall = time.process_time(), time.perf_counter()
    total = 0
    for i in range(event["n"]):
        total += i * i
    return [time.process_time() - cpu, time.perf_counter() - wall]
"""
WORK = 150_000  # about 10 ms of CPU on this machine: the 128 MB run takes about 0.15 s


def test_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv(cpu_share.ENV_VARIABLE, "turbo")
    with pytest.raises(ValueError, match="COURSE_CPU_SHARE must be one of"):
        CpuShare()


def _stretch(lab, lam, name, memory_mb):
    """Wall time over CPU time of a warm CPU-bound run: 1 / the CPU share it got."""
    lab.deploy(name, SPIN, memory_mb=memory_mb, timeout_s=30)
    lam.invoke(FunctionName=name, Payload=json.dumps({"n": 1000}))
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"n": WORK}))
    cpu, wall = json.loads(response["Payload"].read())
    return wall / cpu


def test_128_mb_gets_its_share_of_one_vcpu(lab, lam):
    expected = 1 / share(128)  # about 13.8
    assert 0.7 * expected < _stretch(lab, lam, "spin-128", 128) < 2.5 * expected


def _throttled_periods(lab, name):
    (env,) = [e for e in lab.environments() if e.function_name == name]
    stat = Path(lab.runtime.cpu.parent, env.id, "cpu.stat").read_text().split()
    return int(stat[stat.index("nr_throttled") + 1])


def test_a_full_vcpu_is_never_throttled_and_128_mb_is(lab, lam):
    if lab.runtime.cpu.mode != "cgroup-v1":
        pytest.skip("this machine has no writable v1 cpu controller")
    _stretch(lab, lam, "spin-small", 128)
    _stretch(lab, lam, "spin-full", fact("memory.mb_per_vcpu").value)
    assert _throttled_periods(lab, "spin-small") > 0
    assert _throttled_periods(lab, "spin-full") == 0  # one thread cannot use more than 1 vCPU


def test_each_environment_has_its_own_cpu_group(lab, lam):
    if lab.runtime.cpu.mode != "cgroup-v1":
        pytest.skip("this machine has no writable v1 cpu controller")
    lab.deploy("grouped", SPIN, memory_mb=512)
    lam.invoke(FunctionName="grouped", Payload=json.dumps({"n": 10}))
    (env,) = lab.environments()
    group = os.path.join(lab.runtime.cpu.parent, env.id)
    quota, period, procs = (
        Path(group, name).read_text()
        for name in ("cpu.cfs_quota_us", "cpu.cfs_period_us", "cgroup.procs")
    )
    assert int(quota) / int(period) == pytest.approx(share(512), abs=0.01)
    assert str(env.pid) in procs.split()


def test_the_duty_cycle_fallback_throttles_too(lab, lam, monkeypatch):
    monkeypatch.setattr(lab.runtime, "cpu", CpuShare("duty-cycle"))
    try:
        stretch = _stretch(lab, lam, "spin-duty", 128)
    finally:
        lab.runtime.cpu.stop()
    expected = 1 / share(128)
    assert 0.5 * expected < stretch < 4 * expected  # a busy machine delays the SIGCONT

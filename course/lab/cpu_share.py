"""Memory buys CPU: each execution environment gets a CPU share proportional to its memory.

On AWS, `memory.mb_per_vcpu` MB of memory buys one vCPU and the largest size gets
`memory.max_vcpus` (facts file); in between the share grows in a straight line. The lab caps
each environment's worker process at that share of this machine's CPU, and never above the
cores it has. Three ways, the best this machine allows:

- "cgroup-v1": a group of the v1 `cpu` controller per environment, with `cpu.cfs_quota_us`
  = share × `cpu.cfs_period_us` (needs write access to /sys/fs/cgroup/cpu, e.g. root);
- "cgroup-v2": the same with `cpu.max` in a delegated v2 subtree;
- "duty-cycle": a fair SIGSTOP/SIGCONT throttle of the worker process from a lab thread. It
  runs a share below one vCPU exactly for single-threaded code; it does not cap code above
  one vCPU, nor child processes the handler starts.

`COURSE_CPU_SHARE` forces a mode ("cgroup-v1", "cgroup-v2", "duty-cycle" or "off"), for tests
and for machines where throttling is unwanted. These groups are the lab's own (one `cpu` group
per lab process, named `lambda-lab-cpu-<pid>`), apart from any sandbox groups.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import time

from course.facts import fact

ENV_VARIABLE = "COURSE_CPU_SHARE"
MODES = ("cgroup-v1", "cgroup-v2", "duty-cycle", "off")
PREFIX = "lambda-lab-cpu-"
V1_ROOT = "/sys/fs/cgroup/cpu"
V2_ROOT = "/sys/fs/cgroup"
PERIOD_US = 20_000  # short, so that a 128 MB share (~1.4 ms per period) runs smoothly
MIN_QUOTA_US = 1_000  # the kernel's smallest CFS quota


def vcpus(memory_mb: int) -> float:
    """The vCPUs AWS gives `memory_mb` MB: proportional to one vCPU at `memory.mb_per_vcpu`,
    then in a straight line to `memory.max_vcpus` at `memory.max_mb`."""
    per_vcpu, top_mb = fact("memory.mb_per_vcpu").value, fact("memory.max_mb").value
    if memory_mb <= per_vcpu:
        return memory_mb / per_vcpu
    extra = fact("memory.max_vcpus").value - 1
    return 1 + (memory_mb - per_vcpu) * extra / (top_mb - per_vcpu)


def share(memory_mb: int, cores: int | None = None) -> float:
    """The CPUs the lab gives `memory_mb` MB here: `vcpus`, capped at this machine's cores."""
    return min(vcpus(memory_mb), float(cores or os.cpu_count() or 1))


class CpuShare:
    """Applies each environment's CPU share with the best mode this machine allows."""

    def __init__(self, mode: str | None = None):
        self.mode = mode or os.environ.get(ENV_VARIABLE) or _detect()
        if self.mode not in MODES:
            choices = ", ".join(MODES)
            raise ValueError(f"{ENV_VARIABLE} must be one of {choices}, not {self.mode!r}.")
        root = V1_ROOT if self.mode == "cgroup-v1" else V2_ROOT
        self.parent = os.path.join(root, f"{PREFIX}{os.getpid()}")
        self._throttled: dict[int, float] = {}  # duty-cycle: pid -> running fraction
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        if self.mode.startswith("cgroup"):
            try:
                _remove_abandoned(root)
                os.makedirs(self.parent, exist_ok=True)
                if self.mode == "cgroup-v2":
                    _write(os.path.join(self.parent, "cgroup.subtree_control"), "+cpu")
            except OSError:
                self.mode = "duty-cycle"  # the controller is there but not ours to use
        atexit.register(self.stop)

    def apply(self, pid: int, memory_mb: int, environment_id: str) -> None:
        """Cap process `pid` (an environment's worker) at the share `memory_mb` buys."""
        cpus = share(memory_mb)
        if self.mode.startswith("cgroup"):
            try:
                self._join_group(pid, cpus, environment_id)
                return
            except OSError:
                self.mode = "duty-cycle"  # e.g. the group was removed under us: degrade
        if self.mode == "duty-cycle" and cpus < 1:
            with self._lock:
                self._throttled[pid] = cpus
                if self._thread is None:
                    self._thread = threading.Thread(target=self._cycle, daemon=True)
                    self._thread.start()

    def _join_group(self, pid: int, cpus: float, environment_id: str) -> None:
        self._sweep()
        group = os.path.join(self.parent, environment_id)
        os.makedirs(group, exist_ok=True)
        quota = max(MIN_QUOTA_US, round(cpus * PERIOD_US))
        if self.mode == "cgroup-v1":
            _write(os.path.join(group, "cpu.cfs_period_us"), str(PERIOD_US))
            _write(os.path.join(group, "cpu.cfs_quota_us"), str(quota))
        else:
            _write(os.path.join(group, "cpu.max"), f"{quota} {PERIOD_US}")
        _write(os.path.join(group, "cgroup.procs"), str(pid))

    def stop(self) -> None:
        """Release every throttled process and remove the lab's groups."""
        with self._lock:
            pids, self._throttled = list(self._throttled), {}
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        if self.mode.startswith("cgroup"):
            self._sweep()
            with contextlib.suppress(OSError):
                os.rmdir(self.parent)

    def _sweep(self) -> None:
        """Remove the groups of environments that have ended (a group with a process stays)."""
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(self.parent):
                path = os.path.join(self.parent, name)
                if os.path.isdir(path):
                    with contextlib.suppress(OSError):
                        os.rmdir(path)

    def _cycle(self) -> None:
        """The duty-cycle throttle: each period, run each process for its share, then stop it."""
        period = PERIOD_US / 1e6
        while True:
            with self._lock:
                throttled = dict(self._throttled)
            if not throttled:
                time.sleep(period)
                continue
            start = time.monotonic()
            for pid, cpus in sorted(throttled.items(), key=lambda item: item[1]):
                time.sleep(max(0.0, start + cpus * period - time.monotonic()))
                self._signal(pid, signal.SIGSTOP)
            time.sleep(max(0.0, start + period - time.monotonic()))
            for pid in throttled:
                self._signal(pid, signal.SIGCONT)

    def _signal(self, pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            with self._lock:
                self._throttled.pop(pid, None)


def _detect() -> str:
    """The best mode this machine allows."""
    if os.access(os.path.join(V1_ROOT, "cpu.cfs_quota_us"), os.W_OK):
        return "cgroup-v1"
    controllers = os.path.join(V2_ROOT, "cgroup.controllers")
    with contextlib.suppress(OSError), open(controllers) as file:
        if "cpu" in file.read().split() and os.access(V2_ROOT, os.W_OK):
            return "cgroup-v2"
    return "duty-cycle"


def _write(path: str, value: str) -> None:
    with open(path, "w") as file:
        file.write(value)


def _remove_abandoned(root: str) -> None:
    """Remove the empty groups of labs whose process died without stop()."""
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(root):
            pid = name[len(PREFIX) :]
            if name.startswith(PREFIX) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                parent = os.path.join(root, name)
                for child in os.listdir(parent):
                    with contextlib.suppress(OSError):
                        os.rmdir(os.path.join(parent, child))
                with contextlib.suppress(OSError):
                    os.rmdir(parent)

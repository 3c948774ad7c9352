"""Memory buys CPU: each execution environment gets a CPU share proportional to its memory.

On AWS, `memory.mb_per_vcpu` MB of memory buys one vCPU and the largest size gets
`memory.max_vcpus` (facts file); in between the share grows in a straight line. The whole
environment (the runtime, its threads, its children and daemons) shares those vCPUs. The lab
gives each environment that share of this machine's CPU, never above the cores it has, in the
best mode the environment's sandbox (`course.lab.sandbox`) allows:

- "cgroup-v1": the sandbox's box has a group in the v1 `cpu` hierarchy, with
  `cpu.cfs_quota_us` = share × `cpu.cfs_period_us`, set when the box is made;
- "cgroup-v2": the same with `cpu.max`, in the box's one v2 group;
- "duty-cycle": where the box has no cpu group (no cgroups, or the cpu controller is missing
  or refused), a fair SIGSTOP/SIGCONT throttle of the runtime process from a lab thread. It
  runs a share below one vCPU exactly for single-threaded code; it does not cap code above
  one vCPU, nor child processes the handler starts.

`COURSE_CPU_SHARE` forces a mode ("cgroup-v1", "cgroup-v2", "duty-cycle" or "off"), for tests
and for machines where throttling is unwanted. A forced cgroup mode is used only where the
sandbox has that cgroup version; elsewhere the lab falls back to "duty-cycle".
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import time
from typing import Protocol

from course.facts import fact

ENV_VARIABLE = "COURSE_CPU_SHARE"
MODES = ("cgroup-v1", "cgroup-v2", "duty-cycle", "off")
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


def quota_us(memory_mb: int) -> int:
    """The CFS quota, in microseconds per `PERIOD_US`, that `memory_mb` MB buys here."""
    return max(MIN_QUOTA_US, round(share(memory_mb) * PERIOD_US))


class Throttled(Protocol):
    """What the duty-cycle throttle needs of an environment's box (`course.lab.sandbox.Box`)."""

    pid: int
    frozen: bool
    cgroups: dict[str, str]


class CpuShare:
    """Each environment's CPU share: the mode in use and the duty-cycle fallback.

    The sandbox decides the mode when it sets up its cgroups (`use_cgroup`); until then, and
    wherever the box gets no cpu group, the mode is "duty-cycle" (or "off" when forced).
    """

    def __init__(self, mode: str | None = None):
        self.requested = mode or os.environ.get(ENV_VARIABLE) or ""
        if self.requested and self.requested not in MODES:
            choices = ", ".join(MODES)
            raise ValueError(f"{ENV_VARIABLE} must be one of {choices}, not {self.requested!r}.")
        self.mode = "off" if self.requested == "off" else "duty-cycle"
        self._throttled: dict[int, tuple[float, Throttled]] = {}  # pid -> (share, box)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        atexit.register(self.stop)

    def wants_cgroup(self, version: str) -> bool:
        """Whether a cpu cgroup of `version` ("cgroup-v1" or "cgroup-v2") may be used."""
        return self.requested in ("", version)

    def use_cgroup(self, version: str) -> None:
        """The sandbox gives every new box a cpu group of `version`."""
        self.mode = version

    def fall_back(self) -> None:
        """The cpu controller refused: new environments use the duty-cycle throttle."""
        if self.mode.startswith("cgroup"):
            self.mode = "duty-cycle"

    def limit(self, folder: str, memory_mb: int) -> None:
        """Set the quota `memory_mb` MB buys on the cpu group `folder` (raises OSError)."""
        if os.path.exists(os.path.join(folder, "cpu.cfs_quota_us")):
            _write(os.path.join(folder, "cpu.cfs_period_us"), str(PERIOD_US))
            _write(os.path.join(folder, "cpu.cfs_quota_us"), str(quota_us(memory_mb)))
        else:
            _write(os.path.join(folder, "cpu.max"), f"{quota_us(memory_mb)} {PERIOD_US}")

    def apply(self, box: Throttled, memory_mb: int) -> None:
        """Once an environment is set up and its runtime starts: the quota on its box's cpu
        group (every process of the environment under it), or else the duty-cycle throttle."""
        cpus = share(memory_mb)
        if "cpu" in box.cgroups:
            try:
                self.limit(box.cgroups["cpu"], memory_mb)
                return
            except OSError:  # the cpu controller refused: this and later boxes go without
                self.fall_back()
        if self.mode == "off" or cpus >= 1:
            return
        with self._lock:
            self._throttled[box.pid] = (cpus, box)
            if self._thread is None:
                self._thread = threading.Thread(target=self._cycle, daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Release every process the duty-cycle throttle holds."""
        with self._lock:
            held, self._throttled = self._throttled, {}
        for pid, (_cpus, box) in held.items():
            if not box.frozen:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def _cycle(self) -> None:
        """The duty-cycle throttle: each period, run each process for its share, then stop it.
        A frozen box stays stopped: the throttle never wakes it."""
        period = PERIOD_US / 1e6
        while True:
            with self._lock:
                throttled = dict(self._throttled)
            if not throttled:
                time.sleep(period)
                continue
            start = time.monotonic()
            for pid, (cpus, _box) in sorted(throttled.items(), key=lambda item: item[1][0]):
                time.sleep(max(0.0, start + cpus * period - time.monotonic()))
                self._signal(pid, signal.SIGSTOP)
            time.sleep(max(0.0, start + period - time.monotonic()))
            for pid, (_cpus, box) in throttled.items():
                if not box.frozen:
                    self._signal(pid, signal.SIGCONT)
                    if box.frozen:  # frozen meanwhile: its SIGSTOP may have come first
                        self._signal(pid, signal.SIGSTOP)

    def _signal(self, pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            with self._lock:
                self._throttled.pop(pid, None)


def _write(path: str, value: str) -> None:
    with open(path, "w") as file:
        file.write(value)

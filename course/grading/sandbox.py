"""Confinement for untrusted notebooks: a kernel that may write only in its own folder.

`python -m course.grading.sandbox LIMIT FOLDER READABLE... -- -f CONNECTION_FILE` applies a
Linux Landlock ruleset and then runs an ordinary ipykernel: the kernel and everything it starts
(the lab included) may write only beneath FOLDER (and to /dev's character devices and
/dev/shm), read only beneath FOLDER and the READABLE folders (Python, the course, the system),
and send no signal to a process outside the sandbox. Landlock is unprivileged and cannot be
undone. Where the Linux kernel lacks it (before 5.13, or blocked by a container's seccomp
profile), the kernel runs without it and `landlock_abi()` returns 0: say so to the user.
Printing more than LIMIT characters in all raises OutputLimitExceeded in the kernel.
This module imports nothing heavy, so the kernel starts as fast as a plain one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
import tempfile
from pathlib import Path

SYSTEM_READABLE = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys")
# Landlock (linux/landlock.h)
_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446
_PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER = 38, 36
_READ = (1 << 0) | (1 << 2) | (1 << 3)  # execute, read file, read dir
_WRITE = sum(1 << bit for bit in (1, 4, 5, 6, 7, 8, 9, 10, 11, 12))  # write + make/remove
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_SCOPE = (1 << 0) | (1 << 1)  # abstract unix sockets, signals


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version this Linux kernel offers (0: none, so no sandbox)."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _libc.syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def restrict(writable: list[str], readable: list[str]) -> int:
    """Confine this process and its future children; returns the ABI used (0: not confined)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    write = _WRITE | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(_READ | write, 0, _SCOPE if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 8
    ruleset = _libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return 0
    rules = [(path, _READ | write) for path in writable]
    rules += [(path, _READ) for path in readable]
    device_write = (1 << 1) | (_TRUNCATE if abi >= 3 else 0)
    rules += [("/dev", _READ | device_write), ("/dev/shm", _READ | write)]
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        rule = _PathBeneath(access, fd)
        _libc.syscall(_SYS_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0)
        os.close(fd)
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    done = _libc.syscall(_SYS_RESTRICT, ruleset, 0)
    os.close(ruleset)
    return abi if done == 0 else 0


class OutputLimitExceeded(Exception):
    """A notebook printed more than the grader accepts (raised by print in the kernel)."""


def limit_output(stream_class: type, limit: int) -> None:
    """Make every write to the kernel's stdout and stderr raise past `limit` characters."""
    original = stream_class.write
    written = [0]

    def write(self, text):  # noqa: ANN001, ANN202
        written[0] += len(text)
        if written[0] > limit:
            raise OutputLimitExceeded(f"more than {limit / 1e6:g} MB of output")
        return original(self, text)

    stream_class.write = write


def main(argv: list[str]) -> None:
    """Confine this process to FOLDER, then run an ipykernel with the remaining arguments."""
    split = argv.index("--")
    limit, folder, readable, rest = int(argv[0]), argv[1], argv[2:split], argv[split + 1 :]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    restrict([folder], readable)
    os.chdir(folder)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from ipykernel import iostream, kernelapp

    limit_output(iostream.OutStream, limit)
    sys.argv = [sys.argv[0], *rest]
    kernelapp.launch_new_instance()


def workspace(prefix: str) -> Path:
    """A new private folder for sandboxed runs, outside /tmp (each lab environment mounts
    its own /tmp, so the lab keeps its files elsewhere) when /var/tmp is writable."""
    parent = "/var/tmp" if os.access("/var/tmp", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent)).resolve()


def become_subreaper() -> None:
    """Adopt orphaned descendants, so `kill_descendants` finds a daemon a notebook left."""
    if sys.platform.startswith("linux"):
        _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_descendants() -> int:
    """SIGKILL every process below this one (what a notebook's kernel left); returns how many."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(found)


if __name__ == "__main__":
    main(sys.argv[1:])

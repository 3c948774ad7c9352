"""A kernel for untrusted notebooks: it may write only in its own folder, and is watched.

`python -m course.sandboxed_kernel FOLDER READABLE... -- -f CONNECTION_FILE` applies a Linux
Landlock ruleset and then becomes an ordinary ipykernel: the kernel and everything it starts
(the lab included) may write only beneath FOLDER (and to /dev's character devices and
/dev/shm), read only beneath FOLDER and the READABLE folders (Python, the course, the system),
and send no signal to a process outside the sandbox. Landlock is unprivileged and cannot be
undone. Where the Linux kernel lacks it (before 5.13, or blocked by a container's seccomp
profile), the kernel runs without it and `landlock_abi()` returns 0: say so to the user.

`run_notebook` executes a notebook in such a kernel cell by cell and reads every output from
the kernel's message stream: a cell over the time limit, a kernel that dies, or output over
the size limit stops the run there, and the result says which.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from course import notebooks

KERNEL_NAME = "lambda-course-sandboxed"
MAX_OUTPUT_BYTES = 2_000_000
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


def readable_paths() -> list[str]:
    """What a sandboxed kernel may read: Python, its packages, the course and the system."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(notebooks.ROOT)}
    paths |= {p for p in sys.path if p and os.path.isdir(p)}
    paths |= {p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    paths |= set(SYSTEM_READABLE)
    return sorted(p for p in paths if os.path.exists(p))


def kernel_env(folder: Path) -> dict[str, str]:
    """The environment of a sandboxed kernel: its home and temporary files inside `folder`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LAMBDA_COURSE", "JUPYTER", "IPYTHON", "MPL"))
    }
    for name in ("home", "tmp"):
        (folder / name).mkdir(exist_ok=True)
    env.update(
        HOME=str(folder / "home"),
        TMPDIR=str(folder / "tmp"),
        IPYTHONDIR=str(folder / "home" / ".ipython"),
        MPLCONFIGDIR=str(folder / "home" / ".matplotlib"),
        PYTHONDONTWRITEBYTECODE="1",
        MPLBACKEND="agg",
    )
    paths = [str(notebooks.ROOT), *env.get("PYTHONPATH", "").split(os.pathsep)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if p))
    return notebooks.offline_env(env)


@dataclass
class CellRun:
    """What happened to one code cell: ok, error, timeout, kernel died, flood or not run."""

    index: int
    status: str
    outputs: list = field(default_factory=list)
    error: str = ""


class _Client(NotebookClient):
    """nbclient with a cap on how much output one run may send."""

    def __init__(self, *args, max_output_bytes: int = MAX_OUTPUT_BYTES, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.output_bytes = 0
        self.flooded = False

    def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001, ANN201
        """Keep an output unless the run has sent more than the cap (then stop the cell)."""
        content = msg.get("content", {})
        self.output_bytes += len(content.get("text", "")) + len(str(content.get("data", "")))
        self.output_bytes += len(str(content.get("traceback", "")))
        if self.output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self.flooded:  # end the kernel now: the loop may be too busy to interrupt it
            self.flooded = True
            pid = getattr(self.km.provisioner, "pid", None)
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        return None


def _error_of(outputs: list) -> str:
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o.get("output_type") == "error"]
    return errors[0] if errors else ""


def run_notebook(
    nb: nbformat.NotebookNode,
    folder: Path,
    sources: dict[int, str] | None = None,
    timeout: float = notebooks.CELL_TIMEOUT_S,
    max_output_bytes: int = MAX_OUTPUT_BYTES,
) -> list[CellRun]:
    """Run every code cell of `nb` in a sandboxed kernel confined to `folder`.

    `sources` replaces what is sent for some cells (sealed checks) without changing `nb`'s
    text. A cell over `timeout` seconds, a dead kernel or output over `max_output_bytes`
    stops the run: later code cells are `not run`.
    """
    folder = Path(folder).resolve()
    sources = sources or {}
    spec_dir = Path(tempfile.mkdtemp(prefix="lambda-course-kernelspec-"))
    try:
        argv = [sys.executable, "-m", "course.sandboxed_kernel", str(max_output_bytes)]
        argv += [str(folder), *readable_paths()]
        argv += ["--", "-f", "{connection_file}"]
        kernel = spec_dir / KERNEL_NAME
        kernel.mkdir()
        spec = {"argv": argv, "display_name": "lambda-course (sandboxed)", "language": "python"}
        (kernel / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        manager = AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir)]),
            connection_file=str(folder / "connection.json"),
        )
        return _run(nb, folder, manager, sources, timeout, max_output_bytes)
    finally:
        shutil.rmtree(spec_dir, ignore_errors=True)


def _run(nb, folder, manager, sources, timeout, max_output_bytes) -> list[CellRun]:  # noqa: ANN001
    runs: list[CellRun] = []
    client = _Client(
        nbformat.from_dict(nb),
        km=manager,
        timeout=timeout,
        allow_errors=True,
        record_timing=False,
        store_widget_state=False,
        iopub_timeout=10,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(folder)}},
        max_output_bytes=max_output_bytes,
    )
    cells = client.nb.cells
    code = [i for i, cell in enumerate(cells) if cell.cell_type == "code"]
    stopped = ""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with client.setup_kernel(env=kernel_env(folder), **quiet):
        for index in code:
            cell = cells[index]
            if stopped:
                runs.append(CellRun(index, "not run", error=stopped))
                continue
            if index in sources:
                cell.source = sources[index]
            try:
                client.execute_cell(cell, index)
                ended = ""
            except CellTimeoutError:
                ended = "timeout"
            except DeadKernelError:
                ended = "kernel died"
            number = code.index(index) + 1
            if client.flooded or _error_of(cell.outputs).startswith("OutputLimitExceeded"):
                ended = "flood"
                stopped = (
                    f"code cell {number} printed more than {max_output_bytes / 1e6:g} MB of output"
                )
            elif ended == "timeout":
                stopped = f"code cell {number} ran longer than {timeout:g} s"
            elif ended:
                stopped = f"the kernel died while running code cell {number}"
            if ended:
                runs.append(CellRun(index, ended, list(cell.outputs), stopped))
                continue
            error = _error_of(cell.outputs)
            runs.append(CellRun(index, "error" if error else "ok", list(cell.outputs), error))
    return runs


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

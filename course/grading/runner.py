"""Run a notebook in a sandboxed kernel, cell by cell, reading outputs from its messages.

A cell over the time limit, a kernel that dies, or output over the size limit stops the run
there, and the result says which. The kernel is confined by course.grading.sandbox.
"""

from __future__ import annotations

import contextlib
import json
import os
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

from course.grading import sandbox
from course.lessons import notebooks

KERNEL_NAME = "lambda-course-sandboxed"
MAX_OUTPUT_BYTES = 2_000_000


def readable_paths() -> list[str]:
    """What a sandboxed kernel may read: Python, its packages, the course and the system."""
    course_package = str(Path(__file__).resolve().parents[1])  # also when installed editable
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(notebooks.ROOT), course_package}
    here = os.path.realpath(os.getcwd())  # `python -m` puts it on sys.path: not readable
    paths |= {p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != here}
    paths |= {p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    paths |= set(sandbox.SYSTEM_READABLE)
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
    env[notebooks.AUTOMATED_RUN_ENV] = "check"
    paths = [str(notebooks.ROOT), *env.get("PYTHONPATH", "").split(os.pathsep)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if p))
    return notebooks.offline_env(env)


@dataclass
class CellRun:
    """What happened to one code cell: ok, error, timeout, kernel died, flood, skipped or not
    run."""

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
    skip: frozenset[int] = frozenset(),
) -> list[CellRun]:
    """Run every code cell of `nb` in a sandboxed kernel confined to `folder`.

    `sources` replaces what is sent for some cells (sealed checks) without changing `nb`'s
    text; cells in `skip` are not sent at all (`skipped`). A cell over `timeout` seconds, a
    dead kernel or output over `max_output_bytes` stops the run: later code cells are `not run`.
    """
    folder = Path(folder).resolve()
    sources = sources or {}
    spec_dir = Path(tempfile.mkdtemp(prefix="lambda-course-kernelspec-"))
    try:
        argv = [sys.executable, "-m", "course.grading.sandbox", str(max_output_bytes)]
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
        return _run(nb, folder, manager, sources, timeout, max_output_bytes, skip)
    finally:
        shutil.rmtree(spec_dir, ignore_errors=True)


def _run(nb, folder, manager, sources, timeout, max_output_bytes, skip) -> list[CellRun]:  # noqa: ANN001
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
            if index in skip and index not in sources:
                runs.append(CellRun(index, "skipped"))
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

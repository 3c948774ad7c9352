"""An execution environment is boxed in as on AWS: filesystem, processes, limits, variables."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from course.facts import fact
from course.lab.sandbox import LEVELS, detect_level
from tests.lab.conftest import digest, invoke
from tests.processes import alive

CAP = int(fact("execution.processes_threads").value)
LEVEL = detect_level()[0]
namespaces = pytest.mark.skipif(LEVEL == "rlimits", reason="no namespaces on this machine")
cgroups = pytest.mark.skipif(LEVELS[0] != LEVEL, reason="no writable cgroups on this machine")
# What AWS documents for the Python runtime, plus what the lab adds to reach itself.
AWS_VARIABLES = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    "LANG", "PATH", "PYTHONPATH", "TZ", "TMPDIR",
    "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
}  # fmt: skip


def test_the_lab_reports_its_isolation_level(lab):
    assert lab.isolation == LEVEL
    assert lab.isolation in LEVELS


def test_writes_outside_tmp_fail_and_learner_files_stay_byte_identical(
    lab, lam, zoo, learner_files
):
    before = digest(learner_files)
    notebook = next((learner_files / "notebooks").glob("*.ipynb"))
    targets = [
        str(notebook),
        str(learner_files / "notebooks" / "new-file.py"),
        str(learner_files / "course" / "lab.py"),
    ]
    zoo("writer", "write_file")
    response, body = invoke(lam, "writer", {"paths": targets})
    assert "FunctionError" not in response, body
    assert set(body.values()) <= {errno.EROFS, errno.EACCES}, body
    zoo("deleter", "delete_file")
    _, body = invoke(lam, "deleter", {"paths": [str(notebook)]})
    assert body[str(notebook)] in (errno.EROFS, errno.EACCES)
    assert digest(learner_files) == before


def test_the_code_folder_is_read_only_and_tmp_is_writable(lab, lam, zoo):
    zoo("code-writer", "write_file")  # "hostile.py": in its code folder, the working folder
    _, body = invoke(lam, "code-writer", {"paths": ["hostile.py", "/tmp/mine.txt"]})
    assert body["hostile.py"] in (errno.EROFS, errno.EACCES)
    assert body["/tmp/mine.txt"] == 0


@namespaces
@pytest.mark.parametrize("nested", [False, True])
def test_remounting_or_unmounting_cannot_make_learner_files_writable(
    lab, lam, zoo, learner_files, nested
):
    before = digest(learner_files)
    notebook = str(next((learner_files / "notebooks").glob("*.ipynb")))
    zoo("remounter", "remount_and_write")
    response, body = invoke(lam, "remounter", {"paths": [notebook], "nested": nested})
    assert "FunctionError" not in response, body
    assert body[notebook] in (errno.EROFS, errno.EACCES), body
    assert body["umount"] != 0  # /var stays covered: the code stays at /var/task
    assert digest(learner_files) == before


@namespaces
def test_a_handler_cannot_read_jupyters_tokens_or_what_only_the_owner_may(
    lab, lam, zoo, monkeypatch
):
    """Jupyter's runtime folder (the server's token, the kernels' keys) would let a handler run
    code outside its sandbox; a folder only its owner may open stays closed to the handler."""
    scratch = Path(tempfile.mkdtemp(prefix="lambda-zoo-", dir="/var/tmp"))
    scratch.chmod(0o755)
    try:
        runtime = scratch / "jupyter-runtime"
        runtime.mkdir(mode=0o755)
        token = runtime / "jpserver-1.json"
        token.write_text('{"token": "secret"}')
        token.chmod(0o644)  # readable by anyone: only the sandbox can hide it
        closed = scratch / "closed"
        closed.mkdir(mode=0o700)
        (closed / "secret.txt").write_text("secret")
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
        zoo("reader", "read_files")  # a new environment: the folder to hide is known now
        paths = [str(token), str(closed / "secret.txt")]
        _, body = invoke(lam, "reader", {"paths": paths})
        assert body[str(token)] == -errno.ENOENT, body
        if os.geteuid() == 0:  # the handler has its own user id, and no right to read all
            assert body[str(closed / "secret.txt")] == -errno.EACCES, body
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@namespaces
def test_the_learners_home_shows_only_what_the_runtime_needs(lab, lam, zoo, monkeypatch):
    """An AWS environment has no home of the learner's: their keys and credentials stay out."""
    scratch = Path(tempfile.mkdtemp(prefix="lambda-zoo-home-", dir="/var/tmp"))
    scratch.chmod(0o755)
    try:
        credentials = scratch / ".aws" / "credentials"
        credentials.parent.mkdir()
        credentials.write_text("[default]\naws_secret_access_key = not-for-handlers\n")
        credentials.chmod(0o644)  # readable by anyone: only the sandbox can hide it
        monkeypatch.setenv("HOME", str(scratch))
        zoo("home-reader", "read_files")  # a new environment: the home to cover is known now
        _, body = invoke(lam, "home-reader", {"paths": [str(credentials)]})
        assert body == {str(credentials): -errno.ENOENT}, body
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@namespaces
def test_the_code_is_at_var_task_and_an_empty_opt_hides_the_machines(lab, lam, zoo):
    zoo("places", "places")
    _, body = invoke(lam, "places")
    assert body["task_root"] == body["cwd"] == "/var/task"
    assert body["module"] == "/var/task/hostile.py"
    assert "hostile.py" in body["var_task"]
    assert body["opt"] == [] and body["lambda_opt"] is None  # no layers: an empty /opt
    zoo("writer", "write_file")
    _, body = invoke(lam, "writer", {"paths": ["/var/task/new.py", "/opt/new.py"]})
    assert set(body.values()) <= {errno.EROFS, errno.EACCES}, body


@namespaces
def test_a_stack_trace_names_the_code_at_var_task(lab, lam, zoo):
    zoo("failing", "fail")
    _, body = invoke(lam, "failing")
    assert body["errorType"] == "RuntimeError"
    assert any('File "/var/task/hostile.py"' in line for line in body["stackTrace"]), body


def test_the_handler_sees_and_signals_only_its_own_processes(lab, lam, zoo):
    zoo("peek", "visible_pids")
    _, pids = invoke(lam, "peek")
    assert pids == [1]  # its runtime only: not the lab, the template or other environments
    zoo("killer", "kill_pids")
    template = lab.runtime._template.process.pid
    _, body = invoke(lam, "killer", {"pids": [os.getpid(), template]})
    assert set(body.values()) <= {errno.ESRCH, errno.EPERM}
    zoo("parent-killer", "kill_parent")
    response, body = invoke(lam, "parent-killer")
    assert body["parent"] == 0  # the parent is outside its PID namespace
    assert lab.runtime._template.alive()


def test_only_aws_and_function_variables_reach_the_handler(lab, lam, zoo):
    zoo("env", "environment", env={"MY_SETTING": "1"})
    _, body = invoke(lam, "env")
    allowed = AWS_VARIABLES | {"MY_SETTING"}
    assert set(body["environ"]) <= allowed, set(body["environ"]) - allowed
    assert "MY_SETTING" in body["environ"]
    # What the kernel kept from the process's start: never the learner's shell variables.
    assert set(body["proc"]) <= allowed, set(body["proc"]) - allowed
    assert "HOME" in os.environ and "HOME" not in body["proc"]


def test_forks_are_capped_at_the_facts_figure_with_threads_counted(lab, lam, zoo):
    zoo("forker", "fork_many", timeout_s=60, memory_mb=1024)
    response, body = invoke(lam, "forker", {"threads": CAP - 100, "count": 150, "sleep_s": 30})
    assert "FunctionError" not in response, body
    assert body["threads"] == CAP - 100
    assert 50 < body["made"] < 100  # the runtime's own threads count too
    assert body["errno"] == errno.EAGAIN


def test_threads_count_against_the_same_cap(lab, lam, zoo):
    zoo("threader", "threads_many", timeout_s=60, memory_mb=2048)
    response, body = invoke(lam, "threader", {"count": CAP + 50})
    assert "FunctionError" not in response, body
    assert CAP - 50 < body["made"] < CAP
    assert body["error"] == "can't start new thread"


@cgroups
def test_memory_of_child_processes_counts_against_the_memory_size(lab, lam, zoo):
    zoo("child-mem", "child_memory", memory_mb=128, timeout_s=20)
    response, body = invoke(lam, "child-mem", {"mb": 200})
    assert response.get("FunctionError") == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert lab.invocations[-1].outcome == "out_of_memory"


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total


def test_an_environment_is_frozen_between_invokes(lab, lam, zoo):
    zoo("spinner", "busy_thread", timeout_s=10)
    invoke(lam, "spinner", {"live_s": 20})
    (env,) = lab.environments()
    pids = env.box.members()
    first = _cpu_ticks(pids)
    time.sleep(0.5)
    assert _cpu_ticks(pids) - first <= 1  # a spinning thread would use ~50 ticks
    response, _ = invoke(lam, "spinner", {"live_s": 0})  # thawed: it answers
    assert "FunctionError" not in response


@pytest.mark.parametrize("ending", ["reset", "timeout", "crash", "expiry"])
def test_every_process_of_an_environment_ends_with_it(lab, lam, zoo, ending):
    zoo("daemon", "leave_daemon", timeout_s=1)
    invoke(lam, "daemon", {"live_s": 30})
    (env,) = lab.environments()
    pids = env.box.members()
    assert len(pids) >= 2  # the runtime and its daemon
    if ending == "reset":
        lab.runtime.reset()
    elif ending == "timeout":
        zoo("daemon", "leave_daemon", timeout_s=1)  # unchanged: the same environment stays
        invoke(lam, "daemon", {"live_s": 30, "then_hang": True})
    elif ending == "crash":
        zoo("daemon", "print_then_exit", timeout_s=1)
        lab.idle_expiry_s = 3600
        invoke(lam, "daemon")
    else:
        lab.idle_expiry_s = 0
        invoke(lam, "daemon", {"live_s": 0})
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)

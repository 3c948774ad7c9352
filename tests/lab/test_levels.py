"""Lower isolation levels, forced with LAMBDA_COURSE_ISOLATION as CI does even as root.

Each level runs in its own lab (a fresh process), since the session's lab has the best level.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest

from course.facts import fact
from course.lab.sandbox import FORCE_VARIABLE, Sandbox
from tests.lab.conftest import ZOO, digest, run_own_lab

SCRIPT = """
import json, os, time, boto3
import course.lab
lab = course.lab.start()
lab.deploy("writer", ZOO, handler="hostile.write_file")
lab.deploy("forker", ZOO, handler="hostile.fork_many", timeout_s=60, memory_mb=1024)
lab.deploy("killer", ZOO, handler="hostile.kill_pids")
lab.deploy("daemon", ZOO, handler="hostile.leave_daemon")
lam = boto3.client("lambda")
def call(name, payload):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload))
    return json.loads(response["Payload"].read())
result = {"isolation": lab.isolation}
result["write"] = call("writer", {"paths": PATHS})
result["fork"] = call("forker", {"threads": CAP - 100, "count": 150, "sleep_s": 30})
result["kill"] = call("killer", {"pids": [os.getpid(), lab.runtime._template.process.pid]})
call("daemon", {"live_s": 60})
pids = [p for e in lab.environments() for p in e.box.members()]
lab.stop()
time.sleep(0.3)
def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
result["daemon_pids"] = len(pids)
result["left"] = [p for p in pids if alive(p)]
print(json.dumps(result))
"""


@pytest.mark.parametrize("level", ["namespaces", "rlimits"])
def test_a_forced_lower_level_still_protects_files_the_lab_and_the_machine(level, learner_files):
    cap = int(fact("execution.processes_threads").value)
    before = digest(learner_files)
    notebook = str(next((learner_files / "notebooks").glob("*.ipynb")))
    script = SCRIPT.replace("ZOO", repr(str(ZOO))).replace("PATHS", repr([notebook]))
    run = run_own_lab(script.replace("CAP", str(cap)), {FORCE_VARIABLE: level})
    result = run["result"]
    assert result["isolation"] == level
    assert len(run["printed"]) == 1 and "without" in run["printed"][0]  # one plain sentence
    assert digest(learner_files) == before
    if os.geteuid() == 0:  # handlers get their own user id: no writes, no signals to the lab
        assert result["write"][notebook] in (errno.EROFS, errno.EACCES)
        assert set(result["kill"].values()) <= {errno.EPERM, errno.ESRCH}
        assert result["fork"]["errno"] == errno.EAGAIN and result["fork"]["made"] < 100
        assert result["daemon_pids"] >= 2
        assert result["left"] == []
    elif level == "namespaces":
        assert result["write"][notebook] in (errno.EROFS, errno.EACCES)


def test_without_root_the_sentence_says_files_are_not_protected(monkeypatch):
    """Binder and JupyterHub: not root, no namespaces. The lab says plainly what it cannot do."""
    monkeypatch.setenv(FORCE_VARIABLE, "rlimits")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    sandbox = Sandbox("lambda-lab-test")
    assert sandbox.level == "rlimits"
    assert sandbox._uid() is None  # the handler keeps the learner's own user id
    sentence = sandbox.degraded_sentence()
    assert sentence.count(". ") <= 2 and "could read, change or delete your files" in sentence
    assert FORCE_VARIABLE in sentence  # why: the level was forced


CONFINED = """
import json, os, sys, sysconfig
from course.grading import sandbox
from course.grading.runner import readable_paths
abi = sandbox.restrict([os.getcwd()], readable_paths())
import boto3
import course.lab
lab = course.lab.start()
lab.deploy("uid", "import os\\ndef handler(event, context):\\n    return os.getuid()\\n")
payload = boto3.client("lambda").invoke(FunctionName="uid")["Payload"].read()
print(json.dumps({"abi": abi, "isolation": lab.isolation, "payload": json.loads(payload)}))
lab.stop()
"""


def test_a_lab_inside_a_confined_kernel_steps_down_instead_of_failing(tmp_path):
    """The class grader confines kernels with Landlock, which refuses new cgroups and mounts
    even to root: the lab must notice (not trust os.access) and run handlers a level lower."""
    from course.grading.sandbox import landlock_abi

    if landlock_abi() < 1:
        pytest.skip("this Linux kernel has no Landlock")
    scratch = tmp_path / "confined"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "LAMBDA_COURSE_HOME": str(scratch)}
    done = subprocess.run(
        [sys.executable, "-c", CONFINED],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["abi"] >= 1
    assert result["isolation"] in ("namespaces", "rlimits")
    assert isinstance(result["payload"], int)  # the handler really ran and answered

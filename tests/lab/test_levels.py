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

from course.lab.sandbox import FORCE_VARIABLE, Sandbox
from tests.lab.conftest import attacks, digest, run_own_lab


@pytest.mark.parametrize("level", ["namespaces", "rlimits"])
def test_a_forced_lower_level_still_protects_files_the_lab_and_the_machine(level, learner_files):
    before = digest(learner_files)
    notebook = str(next((learner_files / "notebooks").glob("*.ipynb")))
    run = run_own_lab(attacks([notebook]), {FORCE_VARIABLE: level})
    result = run["result"]
    assert result["isolation"] == level
    assert len(run["printed"]) == 1 and "without" in run["printed"][0]  # one plain sentence
    assert digest(learner_files) == before
    assert result["timeout"]["errorType"] == "Sandbox.Timedout"
    places = result["places"]
    if level == "namespaces":  # the code at /var/task and an empty /opt, as on AWS
        assert (places["task_root"], places["opt"]) == ("/var/task", [])
    else:  # no mount namespace: the code stays in the lab's folder
        assert places["task_root"] == places["cwd"] != "/var/task"
    if os.geteuid() == 0:  # handlers get their own user id: no writes, no signals to the lab
        assert result["write"][notebook] in (errno.EROFS, errno.EACCES)
        assert {r[notebook] for r in result["remount"]} <= {errno.EROFS, errno.EACCES}
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

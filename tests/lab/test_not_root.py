"""The lab run as a learner on Binder or a JupyterHub pod: a real user id that is not root.

Two containers, both measured rather than forced with LAMBDA_COURSE_ISOLATION:
- a pod that allows user namespaces: the lab must find the "namespaces" level by itself;
- a pod under Docker's default seccomp profile (no namespaces): the lab must find "rlimits",
  say plainly that handlers run as the learner, and still cap, time out and end them.
The learner's files are a scratch copy owned by that user; nothing else can be harmed.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.lab import container
from tests.lab.conftest import attacks, digest, run_own_lab

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="already not root: the whole suite runs as a learner here"
)
INTERPRETER = [sys.executable, sys.prefix, sys.base_prefix]


@pytest.fixture
def learner_home(learner_files):
    """The scratch learner files and a home folder with credentials in it, all owned by the
    learner's user id."""
    home = Path(tempfile.mkdtemp(prefix="lambda-learner-", dir="/var/tmp"))
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = mine\n")
    for folder in (home, learner_files.parent):
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, container.LEARNER_UID, container.LEARNER_UID)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def _run_as_learner(script: str, home: Path, forbid_namespaces: bool) -> dict:
    def become() -> None:
        container.become_learner(INTERPRETER)
        if forbid_namespaces:
            container.forbid_namespaces()

    env = {"HOME": str(home), "LAMBDA_COURSE_HOME": str(home), "TMPDIR": str(home)}
    env["LAMBDA_COURSE_ISOLATION"] = ""  # measured, not forced
    return run_own_lab(script, env, preexec_fn=become)


def test_a_pod_that_allows_user_namespaces_gets_the_namespaces_level(learner_files, learner_home):
    before = digest(learner_files)
    notebook = str(next((learner_files / "notebooks").glob("*.ipynb")))
    credentials = str(learner_home / ".aws" / "credentials")
    run = _run_as_learner(
        attacks([notebook], secrets=[credentials]), learner_home, forbid_namespaces=False
    )
    result = run["result"]
    assert result["read"] == {credentials: -errno.ENOENT}  # the home shows only the course
    assert result["isolation"] == "namespaces"
    assert len(run["printed"]) == 1 and "without cgroups" in run["printed"][0]
    assert result["write"][notebook] == errno.EROFS  # the learner's own file, read-only
    plain, nested = result["remount"]  # its capabilities in the user namespace are gone
    assert plain["umount"] == errno.EPERM and plain["remounted"] == 0, plain
    assert plain[notebook] == nested[notebook] == errno.EROFS, nested
    assert digest(learner_files) == before
    assert set(result["kill"].values()) == {errno.ESRCH}  # the lab is not even visible
    assert result["fork"]["errno"] == errno.EAGAIN and result["fork"]["made"] < 100
    assert (result["places"]["task_root"], result["places"]["opt"]) == ("/var/task", [])
    assert result["timeout"]["errorType"] == "Sandbox.Timedout"
    assert result["daemon_pids"] >= 2 and result["left"] == []


def test_a_pod_without_namespaces_says_handlers_run_as_the_learner(learner_files, learner_home):
    notebook = str(next((learner_files / "notebooks").glob("*.ipynb")))
    credentials = str(learner_home / ".aws" / "credentials")
    script = attacks([notebook], kill=False, secrets=[credentials])
    run = _run_as_learner(script, learner_home, forbid_namespaces=True)
    result = run["result"]
    assert result["read"][credentials] > 0  # what the sentence warns of: it can read them
    assert result["isolation"] == "rlimits"
    [sentence] = run["printed"]
    assert "Linux refused new mount and PID namespaces" in sentence
    assert "could read, change or delete your files" in sentence
    assert result["write"][notebook] == 0  # what the sentence warns of: it really can
    assert result["fork"]["errno"] == errno.EAGAIN and result["fork"]["made"] < 100
    assert result["places"]["task_root"] == result["places"]["cwd"] != "/var/task"
    assert result["timeout"]["errorType"] == "Sandbox.Timedout"
    assert result["daemon_pids"] >= 2 and result["left"] == []

"""The handler zoo: hostile and faulty handlers run through plain boto3 against the lab.

Hostile handlers only ever aim at scratch copies (`learner_files`), never at the checkout or
$HOME, and every attack is bounded even if the sandbox fails.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from course.facts import fact

ZOO = Path(__file__).parent / "zoo" / "hostile.py"
ROOT = Path(__file__).resolve().parents[2]
ATTACKS = """
# One lab attacked by the zoo: writes, remounts, forks, kills, a daemon; then stop() and what
# is left.
import json, os, time, boto3
import course.lab
lab = course.lab.start()
lab.deploy("writer", ZOO, handler="hostile.write_file")
lab.deploy("forker", ZOO, handler="hostile.fork_many", timeout_s=60, memory_mb=1024)
lab.deploy("killer", ZOO, handler="hostile.kill_pids")
lab.deploy("daemon", ZOO, handler="hostile.leave_daemon")
lab.deploy("places", ZOO, handler="hostile.places")
lab.deploy("sleeper", ZOO, handler="hostile.sleep", timeout_s=1)
lab.deploy("remounter", ZOO, handler="hostile.remount_and_write")
lab.deploy("reader", ZOO, handler="hostile.read_files")
lam = boto3.client("lambda")
def call(name, payload):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload))
    return json.loads(response["Payload"].read())
result = {"isolation": lab.isolation}
result["write"] = call("writer", {"paths": PATHS})
result["read"] = call("reader", {"paths": SECRETS})
result["remount"] = [call("remounter", {"paths": PATHS, "nested": n}) for n in (False, True)]
result["fork"] = call("forker", {"threads": CAP - 100, "count": 150, "sleep_s": 30})
if KILL:
    result["kill"] = call("killer", {"pids": [os.getpid(), lab.runtime._template.process.pid]})
result["places"] = call("places", {})
result["timeout"] = call("sleeper", {"s": 30})
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


def attacks(paths: list[str], kill: bool = True, secrets: list[str] | None = None) -> str:
    """The ATTACKS script, writing to `paths` (scratch files), reading `secrets` (scratch
    files) and, if `kill`, killing the lab: its inputs are set in lines before it."""
    inputs = {
        "ZOO": str(ZOO),
        "PATHS": paths,
        "SECRETS": secrets or [],
        "CAP": int(fact("execution.processes_threads").value),
        "KILL": kill,
    }
    return "".join(f"{name} = {value!r}\n" for name, value in inputs.items()) + ATTACKS


NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)


@pytest.fixture
def lam(lab):
    return boto3.client("lambda", config=NO_RETRY)


@pytest.fixture
def zoo(lab):
    """zoo("name", "fork_many", timeout_s=5): deploy one handler of zoo/hostile.py."""

    def _deploy(name: str, function: str, **settings):
        return lab.deploy(name, ZOO, handler=f"hostile.{function}", **settings)

    return _deploy


def invoke(lam, name: str, payload: dict | None = None) -> tuple[dict, object]:
    """Invoke `name` synchronously; return the response and its decoded payload."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}))
    return response, json.loads(response["Payload"].read() or b"null")


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def learner_files(tmp_path):
    """A scratch copy of learner files (a notebook, the course package) that handlers attack.

    Handlers in a mount namespace have their own /tmp, so the copy lives where they can see
    it: in a scratch folder under /var/tmp, removed afterwards, or under tmp_path otherwise.
    """
    base = Path(tempfile.mkdtemp(prefix="lambda-zoo-", dir="/var/tmp"))
    folder = base / "learner"
    shutil.copytree(ROOT / "notebooks", folder / "notebooks")
    shutil.copytree(
        ROOT / "course", folder / "course", ignore=shutil.ignore_patterns("__pycache__")
    )
    (folder / "notebooks").chmod(0o777)  # writable by anyone: only the sandbox protects it
    yield folder
    shutil.rmtree(base, ignore_errors=True)


def run_own_lab(
    script: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    preexec_fn: Callable[[], None] | None = None,
) -> dict:
    """Run `script` in a fresh Python process with its own lab; return the JSON it prints last.

    For what the session's shared lab cannot show: stop(), a forced isolation level, a lab
    started from a thread.
    """
    import os

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
        preexec_fn=preexec_fn,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return {"result": json.loads(lines[-1]), "printed": lines[:-1]}

"""No worker, template or server is left behind, after lab.stop() or when the owner exits."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

from tests.processes import alive

SCRIPT = textwrap.dedent(
    """
    import boto3, os, sys
    import course.lab
    lab = course.lab.start()
    lab.deploy("pid", "import os\\ndef handler(e, c):\\n    return os.getpid()\\n")
    boto3.client("lambda").invoke(FunctionName="pid")
    worker = lab.runtime.environments()[0].pid  # the handler sees its own PID namespace
    print(lab.runtime._template.process.pid, worker, lab.endpoint_url.rsplit(":", 1)[1], flush=True)
    {ending}
    """
)


def gone_within(pids, seconds=5.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def run_owner(ending: str) -> tuple[subprocess.Popen, list[int]]:
    owner = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(ending=ending)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    *pids, port = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) == 2, "the owner process did not start a lab"
    return owner, pids, port


def test_stop_ends_every_worker_and_the_server():
    owner, pids, port = run_owner("lab.stop(); print('stopped', flush=True); input()")
    try:
        assert owner.stdout.readline().strip() == "stopped"
        assert gone_within(pids)
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the moto server still listens"
    finally:
        owner.kill()
        owner.wait()


def test_workers_end_when_the_owner_exits():
    owner, pids, _ = run_owner("print('exiting', flush=True)")
    owner.wait(timeout=20)
    assert gone_within(pids)


def test_workers_end_when_the_owner_is_killed():
    owner, pids, _ = run_owner("import time; time.sleep(60)")
    assert all(alive(p) for p in pids)
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    assert gone_within(pids)

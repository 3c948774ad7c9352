"""/tmp is the function's ephemeral storage: its own per environment, capped in total, as on AWS.

Where Linux allows it, each execution environment mounts its own tmpfs on /tmp; elsewhere the
runtime falls back to a TMPDIR folder with a per-file size limit (tested here by forcing it).
"""

import errno
import json
import os
import sys
import uuid

import pytest

from course.facts import fact
from course.lab.sandbox import detect_level
from course.lab.worker import _under_tmp

MB = 1024 * 1024
SIZE_MB = int(fact("ephemeral_storage.min_mb").value)
SIXTY_PERCENT = int(SIZE_MB * 0.6) * MB

HANDLER = """
import os, tempfile

def handler(event, context):
    tmpdir = tempfile.gettempdir()  # before /tmp is full: only /tmp is writable, as on AWS
    folder = event.get("folder") or tmpdir
    written, error = [], None
    try:
        for name, size in event.get("files", []):
            with open(os.path.join(folder, name), "wb") as file:
                for _ in range(size // (1024 * 1024)):
                    file.write(bytes(1024 * 1024))
            written.append(name)
    except OSError as exc:
        error = exc.errno
    return {
        "tmpdir": tmpdir,
        "written": written,
        "errno": error,
        "listing": sorted(os.listdir(folder)),
    }
"""


def _tmpfs_allowed() -> bool:
    """Whether this machine lets a child process mount its own /tmp (probed in a real fork),
    and Python and the course are not themselves in /tmp, which the mount would hide."""
    if _under_tmp([sys.prefix, sys.base_prefix, *sys.path]):
        return False
    return detect_level()[0] != "rlimits"


needs_tmpfs = pytest.mark.skipif(
    not _tmpfs_allowed(), reason="no private /tmp mount here: not allowed, or the code is in /tmp"
)


def _host_tmp_mount() -> list[str]:
    with open("/proc/self/mountinfo") as mounts:
        return [line for line in mounts if line.split()[4] == "/tmp"]


def _invoke(lam, payload: dict) -> dict:
    response = lam.invoke(FunctionName="tmp", Payload=json.dumps(payload))
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


@pytest.fixture
def tmp_function(lab):
    lab.deploy("tmp", HANDLER, EphemeralStorage={"Size": SIZE_MB}, timeout_s=30)
    return lab


@needs_tmpfs
def test_two_files_past_the_ephemeral_storage_fail_with_enospc(tmp_function, lam):
    names = [f"first-{uuid.uuid4().hex}", f"second-{uuid.uuid4().hex}"]
    body = _invoke(lam, {"files": [[name, SIXTY_PERCENT] for name in names]})
    assert tmp_function.runtime.environments()[0].tmp_mode == "tmpfs"
    assert body["tmpdir"] == "/tmp"
    assert body["written"] == names[:1]
    assert body["errno"] == errno.ENOSPC  # 28, "No space left on device", caught by the handler
    assert not any(os.path.exists(os.path.join("/tmp", name)) for name in names)


@needs_tmpfs
def test_the_literal_path_tmp_is_capped_and_the_host_tmp_untouched(tmp_function, lam):
    host_mount = _host_tmp_mount()
    names = [f"x-{uuid.uuid4().hex}", f"y-{uuid.uuid4().hex}"]
    body = _invoke(lam, {"folder": "/tmp", "files": [[name, SIXTY_PERCENT] for name in names]})
    assert body["written"] == names[:1]
    assert body["errno"] == errno.ENOSPC
    assert body["listing"] == sorted(names)  # the partial second file is there too
    assert not any(os.path.exists(os.path.join("/tmp", name)) for name in names)
    assert _host_tmp_mount() == host_mount


@needs_tmpfs
def test_tmp_survives_warm_invokes_and_a_new_environment_starts_empty(tmp_function, lam):
    name = f"keep-{uuid.uuid4().hex}"
    assert _invoke(lam, {"files": [[name, MB]]})["written"] == [name]
    assert _invoke(lam, {})["listing"] == [name]
    (environment,) = tmp_function.runtime.environments()
    assert environment.tmp_used_bytes() == MB  # seen from the host, through /proc
    assert [call.cold for call in tmp_function.invocations] == [True, False]
    tmp_function.runtime.reset()  # ends every environment
    assert _invoke(lam, {})["listing"] == []
    assert [call.cold for call in tmp_function.invocations] == [True]


def test_fallback_caps_the_budget_left_with_efbig(tmp_function, lam, monkeypatch):
    monkeypatch.setattr(tmp_function.runtime, "tmpfs", False)
    first = _invoke(lam, {"files": [["first.bin", SIXTY_PERCENT]]})
    assert tmp_function.runtime.environments()[0].tmp_mode == "rlimit"
    assert first["tmpdir"] != "/tmp"
    assert first["written"] == ["first.bin"]
    second = _invoke(lam, {"files": [["second.bin", SIXTY_PERCENT]]})
    assert second["written"] == []
    assert second["errno"] == errno.EFBIG  # 27: the write went past the /tmp budget left
    assert second["listing"] == ["first.bin", "second.bin"]

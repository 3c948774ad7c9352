"""The `lambda-course` command: lab (a real JupyterLab), build, check and execute."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course import cli
from course.lessons import notebooks
from tests.processes import alive

RESOURCES = Path(__file__).parent / "resources"
NAME = "01_demo_exercises.ipynb"


@pytest.fixture
def root(tmp_path: Path, monkeypatch) -> Path:
    """Point the CLI at a tiny course tree with one solutions notebook."""
    (tmp_path / "solutions").mkdir()
    shutil.copy(RESOURCES / "solution-two-questions.ipynb", tmp_path / "solutions" / NAME)
    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    return tmp_path


def test_build_then_check_says_not_yet_and_exits_1(root, capsys):
    assert cli.main(["build"]) == 0
    assert capsys.readouterr().out == f"{NAME}: created\n"
    assert cli.main(["check", str(root / "exercises" / NAME)]) == 1
    out = capsys.readouterr().out
    assert "Q1 not yet | Q1 not yet:" in out and out.endswith("0 of 2 questions pass.\n")


def test_check_exits_0_when_every_question_passes(root, capsys):
    (root / "exercises").mkdir()
    shutil.copy(RESOURCES / "solution-two-questions.ipynb", root / "exercises" / NAME)
    assert cli.main(["check", str(root / "exercises" / NAME)]) == 0
    assert capsys.readouterr().out.endswith("2 of 2 questions pass.\n")


@pytest.mark.parametrize(
    ("name", "message"),
    [("nowhere.ipynb", "No such notebook"), ("not-a-notebook.ipynb", "is not a Jupyter notebook")],
)
def test_check_explains_a_bad_file_without_a_traceback(name, message, capsys):
    assert cli.main(["check", str(RESOURCES / name)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_execute_stores_outputs_and_is_reproducible(tmp_path, capsys):
    path = tmp_path / "demo.ipynb"
    nb = notebooks.read(RESOURCES / "solution-two-questions.ipynb")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata["collapsed"] = True
    notebooks.write(nb, path)
    assert cli.main(["execute", str(path)]) == 0
    assert path.read_bytes() == (RESOURCES / "solution-two-questions.ipynb").read_bytes()
    assert capsys.readouterr().out == f"{path}: executed and saved.\n"


def test_lab_command_is_loopback_only_with_root_and_display_flags(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    command = cli.lab_command(9999)
    assert "--ServerApp.ip=127.0.0.1" in command and "--no-browser" in command
    assert not any("token" in part.lower() for part in command)
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert str(notebooks.ROOT / "notebooks/00_start_here.ipynb") in command
    monkeypatch.setenv("DISPLAY", ":0")
    assert "--no-browser" not in cli.lab_command(9999)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket in LISTEN state on `port` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def processes_mentioning(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text in (proc / "cmdline").read_text():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def api(port: int, token: str, path: str, method: str = "GET") -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        headers={"Authorization": f"token {token}"},
        data=b"{}" if method == "POST" else None,
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_lab_serves_on_loopback_and_leaves_no_process_behind(tmp_path):
    port, token = cli.free_port(0), "test-token-123"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")
    lab = subprocess.Popen(
        [sys.executable, "-m", "course.cli", "lab", "--port", str(port), "--token", token],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    kernel_id = None
    try:
        first_line = lab.stdout.readline()
        assert f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb" in first_line
        deadline = time.monotonic() + 60
        while True:
            try:
                status = api(port, token, "/api/status")
                break
            except OSError:
                assert lab.poll() is None and time.monotonic() < deadline, "lab did not start"
                time.sleep(0.3)
        assert "started" in status
        with open(f"/proc/{lab.pid}/cmdline", "rb") as cmdline:
            assert token.encode() not in cmdline.read()  # `ps` shows this to every user
        assert os.stat(f"/proc/{lab.pid}/environ").st_mode & 0o077 == 0  # the owner's only
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        kernel_id = api(port, token, "/api/kernels", "POST")["id"]
        assert processes_mentioning(kernel_id), "the kernel process did not start"
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=30)
        lab.stdout.close()
    assert not alive(lab.pid)
    deadline = time.monotonic() + 10
    while kernel_id and processes_mentioning(kernel_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernel_id and processes_mentioning(kernel_id) == []


def test_the_learner_verbs_are_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for verb in ("start", "quiz", "review", "progress", "coverage"):
        assert f"    {verb} " in out, verb


def test_lab_root_serves_another_copy_and_refuses_a_folder_without_notebooks(tmp_path, capsys):
    command = cli.lab_command(9999, tmp_path)
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert str(tmp_path / "notebooks" / "00_start_here.ipynb") in command
    assert not any(str(notebooks.ROOT) in part for part in command[1:])
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lab", "--root", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "has no notebooks/00_start_here.ipynb" in capsys.readouterr().err

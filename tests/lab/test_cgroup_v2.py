"""The sandbox's cgroup v2 path, on a real v2 hierarchy (Binder, hub pods, modern laptops).

This machine mounts a v2 hierarchy with no controllers (they are bound to v1), so what v2
gives every group is tested for real: membership (`cgroup.procs`), `cgroup.freeze`,
`cgroup.events` and `cgroup.kill`, and the placement that respects "no internal processes".
`pids.max`, `memory.max` and `cpu.max` need controllers this machine cannot delegate to v2.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course.lab import sandbox
from course.lab.sandbox import LEVELS, PREFIX, Box
from tests.processes import alive

FAMILY = """
import os, sys, time
from course.lab.sandbox import join_cgroups
join_cgroups({"freezer": sys.argv[1]})
if os.fork() == 0:
    os.setsid()  # a daemon: its own session, still in the environment's group
while True:
    pass
"""


@pytest.fixture
def v2_parent(tmp_path, monkeypatch):
    """The folder the lab makes its v2 groups in, as on a machine with v2 only: no v1
    hierarchy is looked up. A scratch cgroup2 mount when none is mounted."""
    monkeypatch.setattr(sandbox, "CGROUP_ROOT", str(tmp_path / "no-v1"))
    mounted = None
    if sandbox._v2_mount() is None:
        if os.geteuid() != 0:
            pytest.skip("no cgroup v2 hierarchy is mounted here")
        mounted = tmp_path / "cgroup2"
        mounted.mkdir()
        subprocess.run(["mount", "-t", "cgroup2", "none", str(mounted)], check=True)
    parent = sandbox._v2_parent()
    if not parent or not os.access(parent, os.W_OK):
        pytest.skip("the cgroup v2 hierarchy here is not writable")
    yield parent
    if mounted is not None:
        subprocess.run(["umount", str(mounted)], check=True)


def _ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total


def _events(folder: str) -> dict[str, str]:
    return dict(line.split() for line in Path(folder, "cgroup.events").read_text().splitlines())


def _wait(condition, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_the_lab_group_sits_beside_the_labs_own_process(v2_parent):
    """No internal processes: the lab's process stays in its own group, outside the lab's."""
    own = next(path for names, path in sandbox._own_cgroups() if names == "")
    point, root = sandbox._v2_mount()
    own_folder = os.path.join(point, own[len(root.rstrip("/")) :].lstrip("/")).rstrip("/")
    is_root = not os.path.exists(os.path.join(own_folder, "cgroup.type"))
    assert v2_parent == (own_folder if is_root else os.path.dirname(own_folder))
    lab_group = sandbox._lab_group("freezer", f"{PREFIX}{os.getpid()}-v2-test")
    try:
        assert Path(lab_group, "cgroup.procs").read_text() == ""  # holds no process, ever
        assert not sandbox._is_v1(lab_group)
        own_procs = Path(own_folder, "cgroup.procs").read_text().split()
        assert str(os.getpid()) in own_procs  # the lab's process was not moved
    finally:
        sandbox._remove_cgroup(lab_group)


def test_a_v2_box_lists_freezes_thaws_and_kills_every_process(v2_parent):
    lab_group = sandbox._lab_group("freezer", f"{PREFIX}{os.getpid()}-v2-test")
    folder = os.path.join(lab_group, "environment")
    os.mkdir(folder)
    box = Box(LEVELS[0], cgroups={"freezer": folder})
    script = textwrap.dedent(FAMILY)
    first = subprocess.Popen([sys.executable, "-c", script, folder], cwd=os.getcwd())
    try:
        assert _wait(lambda: len(box.members()) == 2), box.members()
        pids = box.members()
        assert first.pid in pids
        box.freeze()
        assert _wait(lambda: _events(folder)["frozen"] == "1")
        before = _ticks(pids)
        time.sleep(0.3)
        assert _ticks(pids) - before <= 1  # two spinning processes would use ~60 ticks
        box.thaw()
        assert _wait(lambda: _events(folder)["frozen"] == "0")
        before = _ticks(pids)
        assert _wait(lambda: _ticks(pids) - before > 5)
        box.freeze()
        assert _wait(lambda: _events(folder)["frozen"] == "1")
        sandbox._kill_group(folder)  # cgroup.kill ends frozen processes without a thaw
        assert _wait(lambda: box.members() == [])
        assert _events(folder)["populated"] == "0"
        box.kill()
        assert not os.path.exists(folder)
        first.wait(timeout=5)
        assert not any(alive(pid) for pid in pids)  # the daemon too
    finally:
        first.kill()
        sandbox._remove_cgroup(folder)
        sandbox._remove_cgroup(lab_group)


def test_a_v2_tree_without_controllers_gives_no_cgroups_level(v2_parent):
    """Where v2 is the only hierarchy and lends no pids or memory controller (a hub pod that
    does not delegate them), the lab runs a level lower and says why."""
    if "pids" in sandbox._words(v2_parent, "cgroup.controllers"):
        pytest.skip("this v2 hierarchy has the pids controller")
    assert sandbox._controller_dir("freezer") == v2_parent  # built into every v2 group
    assert sandbox._controller_dir("pids") == ""
    assert sandbox._cgroups_missing() == "no pids cgroup controller is mounted"


def test_controllers_are_enabled_only_above_groups_without_processes(v2_parent):
    """The placement that v2's rule asks for, with a controller this hierarchy really has
    (hugetlb here; pids, memory and cpu on a hub that delegates them)."""
    available = sandbox._words(v2_parent, "cgroup.controllers")
    if not available:
        pytest.skip("this v2 hierarchy lends no controller")
    controller = available[0]
    enabled_before = controller in sandbox._words(v2_parent, "cgroup.subtree_control")
    lab_group = sandbox._lab_group(controller, f"{PREFIX}{os.getpid()}-v2-test")
    folder = os.path.join(lab_group, "environment")
    os.mkdir(folder)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        assert controller in sandbox._words(folder, "cgroup.controllers")  # the box gets it
        Path(folder, "cgroup.procs").write_text(str(sleeper.pid))  # a leaf may hold processes
        assert Path(folder, "cgroup.procs").read_text().split() == [str(sleeper.pid)]
        with pytest.raises(OSError) as refused:  # the rule: no controllers below processes
            Path(folder, "cgroup.subtree_control").write_text(f"+{controller}")
        assert refused.value.errno == errno.EBUSY
    finally:
        sleeper.kill()
        sleeper.wait()
        sandbox._remove_cgroup(folder)
        sandbox._remove_cgroup(lab_group)
        if not enabled_before:
            Path(v2_parent, "cgroup.subtree_control").write_text(f"-{controller}")

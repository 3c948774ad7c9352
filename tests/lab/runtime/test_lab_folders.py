"""A lab's files go with it, even when its owner died without calling stop()."""

import os
import subprocess
import sys

import course.lab.runtime
from course.lab.runtime import LAB_PREFIX, _lab_dir, _remove_abandoned_labs


def test_folders_of_dead_labs_are_removed_and_live_ones_kept(tmp_path):
    dead_pid = 2**22 + 12345  # above pid_max's default range: no such process
    abandoned = tmp_path / f"{LAB_PREFIX}{dead_pid}-abc"
    alive = tmp_path / f"{LAB_PREFIX}{os.getpid()}-def"
    unrelated = tmp_path / "lambda-lab-notes"
    for folder in (abandoned, alive, unrelated):
        (folder / "code").mkdir(parents=True)
    _remove_abandoned_labs(str(tmp_path))
    assert not abandoned.exists()
    assert alive.exists() and unrelated.exists()


def test_a_killed_owner_leaves_no_folder_after_the_next_start(lab):
    code = "import course.lab, os; lab = course.lab.start(); print(lab.runtime._root, flush=True)"
    child = subprocess.Popen([sys.executable, "-c", code + "; os._exit(0)"], stdout=subprocess.PIPE)
    root = child.stdout.readline().decode().strip()
    child.wait(timeout=30)
    assert os.path.isdir(root), "os._exit skips stop(): the folder is left behind"
    assert os.path.dirname(root) == (_lab_dir() or os.path.dirname(root))
    course.lab.runtime._remove_abandoned_labs(os.path.dirname(root))
    assert not os.path.exists(root)

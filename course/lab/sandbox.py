"""The sandbox of an execution environment: how the lab boxes in handler code, as AWS does.

On AWS a handler runs in a microVM: a read-only filesystem except /tmp, its own process tree,
1,024 processes and threads, its memory size for everything it starts, and only Lambda's own
environment variables. The lab rebuilds that box from Linux primitives, in three levels that
degrade in steps (`Level`):

- "namespaces+cgroups": mount and PID namespaces (a read-only view of every filesystem with a
  private /tmp, the code at /var/task and the layers at /opt; the learner's home showing only
  what the runtime needs of it, Jupyter's runtime folder hidden; the handler sees and signals
  only its own processes, has no capability and gains none) plus cgroups (pids,
  memory and freezer controllers: v1 hierarchies, or v2 where it is delegated). The box gets
  the cpu controller too where it can (the CPU share its memory buys, `course.lab.cpu_share`);
  without it the level stays and the CPU share falls back to a duty-cycle throttle.
- "namespaces": the same without cgroups: processes are capped with RLIMIT_NPROC under a
  user id of the environment's own, frozen with SIGSTOP and counted through /proc.
- "rlimits": no namespaces (a container that forbids them): rlimits and process groups only.
  The handler still runs under its own user id when the lab runs as root, so it can neither
  write the learner's files nor signal the lab.

On Binder and JupyterHub the lab is not root, and the container usually forbids user
namespaces, so it runs at "rlimits": the handler keeps the learner's user id, so the lab cannot
stop it from changing the learner's files or signalling the learner's other processes (the
sentence `course.lab.start()` prints says so); RLIMIT_NPROC caps processes plus threads, but
counts all of the learner's processes; freezing and ending use SIGSTOP and SIGKILL on the
environment's process tree (its first process is a child subreaper, so orphans stay in the
tree). Where user namespaces are allowed, the lab reaches "namespaces": a user namespace that
keeps the learner's id makes the read-only view and the PID namespace possible without root;
the runtime then drops the capabilities that namespace gave it, which could undo the view.

cgroups v2 allow processes only in leaf groups: a group holding processes cannot enable
controllers for the groups below it, the root excepted. The lab's own process stays in its own
group, so the lab's group (`lambda-lab-<pid>-<random>`) goes beside it, under its parent (or
under it when it is the root); the controllers are enabled in that parent's
`cgroup.subtree_control` and in the lab group's own, which never holds a process, and each
environment's group below is a leaf that holds all its processes (`_v2_parent`).

`LAMBDA_COURSE_ISOLATION` forces a lower level (for tests, or a machine where a level
misbehaves). The lab side (`Sandbox`, `Box`) prepares and ends environments; the worker side
(`enter_outside`, `enter_inside`) runs in the environment's own processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import resource
import signal
import threading
import time
from dataclasses import dataclass, field

from course.facts import fact
from course.lab.cpu_share import CpuShare

FORCE_VARIABLE = "LAMBDA_COURSE_ISOLATION"
LEVELS = ("namespaces+cgroups", "namespaces", "rlimits")
CGROUP_ROOT = "/sys/fs/cgroup"
CONTROLLERS = ("pids", "memory", "freezer")  # what the "namespaces+cgroups" level needs
CPU = "cpu"  # optional: the CPU share (course.lab.cpu_share)
_FILES = {  # controller -> the file a box writes, in v1 and in v2
    "pids": ("pids.max", "pids.max"),
    "memory": ("memory.limit_in_bytes", "memory.max"),
    "freezer": ("freezer.state", "cgroup.freeze"),
    CPU: ("cpu.cfs_quota_us", "cpu.max"),
}
PREFIX = "lambda-lab-"
# Handlers run under their own user id when the lab is root, one per environment, as AWS runs
# them under sbx_user ids: this range is far above the ids distributions hand out.
UID_BASE, UID_SPAN = 3_000_000, 100_000
# The memory cgroup is a backstop that keeps the machine safe: MemorySize plus /tmp (a tmpfs
# is charged to the cgroup that writes it) plus this slack for pages shared with the template.
# The exact MemorySize check is the runtime's poller, which reports Runtime.OutOfMemory.
MEMORY_SLACK_MB = 64
CHILDREN_SAMPLE_S = 0.1  # the longest wait between two counts of the children's memory

_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_MOUNT_FLAGS = {
    "nosuid": _MS_NOSUID,
    "nodev": _MS_NODEV,
    "noexec": _MS_NOEXEC,
    "noatime": 0x400,
    "nodiratime": 0x800,
    "relatime": 0x200000,
}
_PR_SET_PDEATHSIG, _PR_SET_KEEPCAPS, _PR_SET_CHILD_SUBREAPER = 1, 8, 36
_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 4, 24, 38
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE = 47, 2
_CAP_DAC_READ_SEARCH = 2
_CAPABILITY_VERSION_3 = 0x20080522


def process_cap() -> int:
    """Processes plus threads one environment may run (the facts file's figure)."""
    return int(fact("execution.processes_threads").value)


# -- the lab side ----------------------------------------------------------------------
@dataclass
class Box:
    """One environment's sandbox as the lab sees it: its cgroups, user id and processes."""

    level: str
    cgroups: dict[str, str] = field(default_factory=dict)  # controller -> folder
    uid: int | None = None
    hidden: list[str] = field(default_factory=list)  # folders covered by an empty one inside
    home: str = ""  # the learner's home folder: inside, only what the runtime needs of it
    pid: int = 0  # the runtime process (pid 1 of its PID namespace where there is one)
    frozen: bool = False
    outer: int = 0  # the environment's first process, parent of the runtime
    _children_mb: float = 0.0
    _sampled_at: float = -1e9
    _sample_cost_s: float = 0.0

    def spec(self) -> dict:
        """What the worker needs to enter this box."""
        return {
            "level": self.level,
            "cgroups": self.cgroups,
            "uid": self.uid,
            "hidden": self.hidden,
            "home": self.home,
        }

    def members(self) -> list[int]:
        """Host pids of every process in the environment, daemons included."""
        folder = self.cgroups.get("pids") or self.cgroups.get("freezer")
        if folder:
            with contextlib.suppress(OSError), open(os.path.join(folder, "cgroup.procs")) as procs:
                return [int(line) for line in procs if line.strip()]
        return _members_from_proc(self.pid, self.uid, self.level)

    def freeze(self) -> None:
        """Stop every process of the environment until `thaw` (it uses no CPU meanwhile)."""
        if self.frozen:
            return
        self.frozen = True
        if "freezer" in self.cgroups:
            _write(self.cgroups["freezer"], _freeze_file(self.cgroups["freezer"]), _FROZEN)
        else:
            _signal_all(self.members(), signal.SIGSTOP)

    def thaw(self) -> None:
        """Let the environment's processes run again (before the next invoke)."""
        if not self.frozen:
            return
        self.frozen = False
        if "freezer" in self.cgroups:
            _write(self.cgroups["freezer"], _freeze_file(self.cgroups["freezer"]), _THAWED)
        else:
            _signal_all(self.members(), signal.SIGCONT)

    def children_mb(self) -> float:
        """Private memory of the environment's other processes (the runtime's children and
        daemons), in MB. It reads /proc for each of them, so it is sampled as often as that
        stays cheap: at every poll while reading takes under a tenth of the time between
        samples (an environment without children: microseconds), never less often than every
        CHILDREN_SAMPLE_S seconds."""
        now = time.monotonic()
        if now - self._sampled_at >= min(CHILDREN_SAMPLE_S, 10 * self._sample_cost_s):
            skip = {self.pid, self.outer}
            self._children_mb = sum(_private_mb(p) for p in self.members() if p not in skip)
            self._sampled_at = time.monotonic()
            self._sample_cost_s = self._sampled_at - now
        return self._children_mb

    def oom_killed(self) -> bool:
        """Whether the kernel's OOM killer ended a process of this environment."""
        folder = self.cgroups.get("memory")
        if not folder:
            return False
        with (
            contextlib.suppress(OSError),
            open(os.path.join(folder, "memory.oom_control")) as control,
        ):
            for line in control:
                if line.startswith("oom_kill ") and int(line.split()[1]) > 0:
                    return True
        return _read_stat(folder, "memory.events").get("oom_kill", 0) > 0

    def attach(self, pid: int) -> None:
        """Record the environment's runtime process (and its parent, which reaps it)."""
        self.pid, self.outer = pid, _parent(pid)

    def kill(self) -> None:
        """End every process of the environment and remove its cgroups.

        A v2 group is ended at once with `cgroup.kill` where the kernel has it (5.14+).
        Otherwise the first process (outside the PID namespace) is left to reap the others and
        exit on its own, so no zombie keeps a cgroup busy; it is killed only if it lingers.
        """
        for folder in set(self.cgroups.values()):
            _kill_group(folder)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pids = [pid for pid in self.members() if pid != self.outer]
            if self.pid and self.pid not in pids and _alive(self.pid):
                pids.append(self.pid)
            if not pids:
                break
            if "freezer" in self.cgroups:
                _signal_all(pids, signal.SIGKILL)
                self.frozen = True  # a frozen task dies only once thawed
                self.thaw()
            else:
                _signal_all(pids, signal.SIGSTOP)  # stop forking first, then end them all
                _signal_all([p for p in self.members() if p != self.outer] or pids, signal.SIGKILL)
            time.sleep(0.002)
        while self.outer and _alive(self.outer) and time.monotonic() < deadline:
            time.sleep(0.002)
        if self.outer:
            _signal_all([self.outer], signal.SIGKILL)
        for controller in sorted(self.cgroups, key=lambda name: name != "freezer"):
            _remove_cgroup(self.cgroups[controller])


class Sandbox:
    """The lab's sandbox factory: detects the level once and prepares one `Box` per environment.

    `cpu` is the lab's CPU share (`course.lab.cpu_share`): its mode says whether boxes get a
    cpu group ("cgroup-v1", "cgroup-v2") or the duty-cycle throttle.
    """

    def __init__(self, owner: str):
        self.owner = owner  # a name for this lab's cgroup folders (lambda-lab-<pid>-<random>)
        self.level, self.reason = detect_level()
        self.cpu = CpuShare()
        self._parents: dict[str, str] = {}
        self._next_uid = UID_BASE + (os.getpid() * 97) % UID_SPAN
        if self.level == LEVELS[0]:
            _remove_abandoned_cgroups()
            try:
                for controller in CONTROLLERS:
                    self._parents[controller] = _lab_group(controller, owner)
            except OSError as exc:  # refused after all: run without cgroups, and say why
                self.close()
                self._parents = {}
                self.level = LEVELS[1]
                self.reason = f"the {controller} cgroup refused a new group ({exc.strerror})"
            else:
                self._add_cpu()

    def _add_cpu(self) -> None:
        """Give boxes the cpu controller where it is there and ours (else: duty-cycle)."""
        parent = _controller_dir(CPU)
        if not parent:
            return
        if not self.cpu.wants_cgroup("cgroup-v1" if _is_v1(parent) else "cgroup-v2"):
            return
        with contextlib.suppress(OSError):
            self._parents[CPU] = _lab_group(CPU, self.owner)
            self.cpu.use_cgroup("cgroup-v1" if _is_v1(parent) else "cgroup-v2")

    def box(self, env_id: str, memory_mb: int, tmp_mb: int) -> Box:
        """A new sandbox for one environment: its cgroups made, its limits set."""
        home = os.path.realpath(os.path.expanduser("~"))
        box = Box(self.level, uid=self._uid(), hidden=private_folders(), home=home)
        try:
            for controller, parent in self._parents.items():
                if controller == CPU and not self.cpu.mode.startswith("cgroup"):
                    continue
                folder = os.path.join(parent, env_id)
                if folder not in box.cgroups.values():  # v2: one group for every controller
                    os.mkdir(folder)
                box.cgroups[controller] = folder
        except OSError:
            box.kill()
            raise
        if "pids" in box.cgroups:
            _write(box.cgroups["pids"], "pids.max", str(process_cap()))
        if "memory" in box.cgroups:
            limit = (memory_mb + tmp_mb + MEMORY_SLACK_MB) * 1024 * 1024
            folder = box.cgroups["memory"]
            _write(folder, _file("memory", folder), str(limit))
        # The cpu group's quota waits for `CpuShare.apply`, once the environment is set up:
        # namespaces and mounts are the lab's work, not the handler's, and run at full speed.
        return box

    def _uid(self) -> int | None:
        if os.geteuid() != 0:
            return None  # not root: the handler keeps the learner's own user id
        self._next_uid = UID_BASE + (self._next_uid - UID_BASE + 1) % UID_SPAN
        return self._next_uid

    def degraded_sentence(self) -> str | None:
        """One plain sentence on what is not protected, or None at the full level."""
        if self.level == LEVELS[0]:
            return None
        if self.level == LEVELS[1]:
            return (
                "The lab runs handlers in their own namespaces but without cgroups "
                f"({self.reason}): processes are capped per user id and memory is counted "
                "by polling, so a handler's children are limited less precisely than on AWS."
            )
        protected = (
            "Handlers run under their own user id, so they cannot write your files or stop "
            "the lab, but they can see the machine's processes and files."
            if os.geteuid() == 0
            else "Handlers run as you: they could read, change or delete your files and stop "
            "your other processes, so run only code you trust."
        )
        return f"The lab runs handlers without namespaces or cgroups ({self.reason}). {protected}"

    def close(self) -> None:
        """Remove this lab's cgroup folders (every box must be killed first) and release the
        processes the duty-cycle throttle holds."""
        self.cpu.stop()
        for parent in set(self._parents.values()):
            for name in _listdirs(parent):
                _remove_cgroup(os.path.join(parent, name))
            _remove_cgroup(parent)


def detect_level() -> tuple[str, str]:
    """The best level this machine allows (or the forced one), with why it is not higher."""
    forced = os.environ.get(FORCE_VARIABLE, "").strip()
    if forced and forced not in LEVELS:
        raise ValueError(f"{FORCE_VARIABLE} is {forced!r}; it must be one of {', '.join(LEVELS)}.")
    start = LEVELS.index(forced) if forced else 0
    reason = f"{FORCE_VARIABLE} is set to {forced}" if forced else ""
    if start <= 1:
        problem = _probe_namespaces()
        if problem is None:
            if start == 0:
                missing = _cgroups_missing()
                if missing is None:
                    return LEVELS[0], ""
                return LEVELS[1], missing
            return LEVELS[1], reason
        return LEVELS[2], problem
    return LEVELS[2], reason


def _probe_namespaces() -> str | None:
    """None when a child can make mount and PID namespaces here, else why not."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 0
        try:
            _unshare_namespaces()  # then what enter_outside does: a private, read-only view
            libc = _libc()
            _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make-rprivate")
            _check(libc.mount(None, b"/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY, None), "ro")
        except OSError as exc:
            os.write(write, str(exc).encode()[:200])
            code = 1
        os._exit(code)
    os.close(write)
    message = os.read(read, 256).decode()
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return None
    return f"Linux refused new mount and PID namespaces here: {message}"


def _cgroups_missing() -> str | None:
    """None when the pids, memory and freezer controllers are writable, else why not."""
    for controller in CONTROLLERS:
        folder = _controller_dir(controller)
        if not folder:
            return f"no {controller} cgroup controller is mounted"
        if not os.access(folder, os.W_OK):
            return f"the {controller} cgroup at {folder} is not writable for this user"
        # os.access can say yes where a security module (Landlock, AppArmor) still says no.
        name = f"{PREFIX}probe-{os.getpid()}-{threading.get_ident()}"
        try:
            probe = _lab_group(controller, name)
        except OSError as exc:
            return f"the {controller} cgroup at {folder} refused a new group ({exc.strerror})"
        works = os.path.exists(os.path.join(probe, _file(controller, probe)))
        _remove_cgroup(probe)
        if not works:
            return f"the {controller} cgroup at {folder} gives new groups no {controller} limit"
    return None


def _controller_dir(controller: str) -> str:
    """The folder this lab makes its groups for `controller` in: this process's own group of
    the controller's v1 hierarchy, else the v2 group `_v2_parent` picks when the controller is
    available there (v2 has no freezer controller: every group but the root has
    `cgroup.freeze`); "" when there is neither."""
    v1 = os.path.join(CGROUP_ROOT, controller)
    for names, path in _own_cgroups():
        if controller in names.split(",") and os.path.isdir(v1):
            return os.path.join(v1, path.lstrip("/"))
    parent = _v2_parent()
    if parent and (controller == "freezer" or controller in _words(parent, "cgroup.controllers")):
        return parent
    return ""


def _own_cgroups() -> list[tuple[str, str]]:
    """(controllers, path) of each cgroup hierarchy this process is in ("" names v2)."""
    with open("/proc/self/cgroup") as lines:
        entries = [line.rstrip("\n").split(":", 2) for line in lines]
    return [(names, path) for _id, names, path in entries]


def _v2_parent() -> str:
    """Where this lab makes its v2 groups, "" without a v2 hierarchy.

    Only leaf groups may hold processes in v2: a group with processes cannot enable controllers
    for groups below it, the root excepted. The lab's process stays in its own group, so the
    lab's groups go beside it, under its parent, which then holds no process of its own; under
    its own group only when that is the root. At the top of a cgroup namespace (a container),
    where the parent is out of sight, they go under its own group too: there they get
    `cgroup.freeze`, `cgroup.kill` and `cgroup.procs`, but no controllers.
    """
    mount = _v2_mount()
    own = next((path for names, path in _own_cgroups() if names == ""), None)
    if mount is None or own is None:
        return ""
    point, root = mount
    if not (own + "/").startswith(root.rstrip("/") + "/"):
        return ""
    folder = os.path.join(point, own[len(root.rstrip("/")) :].lstrip("/")).rstrip("/")
    is_root = not os.path.exists(os.path.join(folder, "cgroup.type"))
    return folder if is_root or folder == point.rstrip("/") else os.path.dirname(folder)


def _v2_mount() -> tuple[str, str] | None:
    """(mount point, root inside the hierarchy) of the first cgroup v2 mount, if any."""
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            if "-" in fields and fields[fields.index("-") + 1] == "cgroup2":
                return fields[4], fields[3]
    return None


def _lab_group(controller: str, name: str) -> str:
    """Make (or reuse) the lab's group `name` for `controller`, and return its folder.

    In v2 the controller is enabled for the groups below it: in the parent's
    `cgroup.subtree_control` where it is not yet (refused with EBUSY where the parent holds
    processes and is not the root), then in the lab group's own, which holds no process.
    """
    parent = _controller_dir(controller)
    if not parent:
        raise OSError(errno.ENOENT, f"no {controller} cgroup controller")
    folder = os.path.join(parent, name)
    os.makedirs(folder, exist_ok=True)
    if _is_v1(folder) or controller == "freezer":
        return folder
    try:
        for group in (parent, folder):
            if controller not in _words(group, "cgroup.subtree_control"):
                with open(os.path.join(group, "cgroup.subtree_control"), "w") as control:
                    control.write(f"+{controller}")
    except OSError:
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # only when empty: another controller's boxes may be in it
        raise
    return folder


def _words(folder: str, name: str) -> list[str]:
    with contextlib.suppress(OSError), open(os.path.join(folder, name)) as file:
        return file.read().split()
    return []


def _is_v1(folder: str) -> bool:
    """Whether `folder` is a v1 group (every v2 group, the root too, has cgroup.controllers)."""
    return not os.path.exists(os.path.join(folder, "cgroup.controllers"))


def _file(controller: str, folder: str) -> str:
    """The file that limits `controller` in `folder`, v1 or v2."""
    v1, v2 = _FILES[controller]
    return v1 if _is_v1(folder) else v2


_FROZEN, _THAWED = "FROZEN", "THAWED"


def _freeze_file(folder: str) -> str:
    return _file("freezer", folder)


def _kill_group(folder: str) -> None:
    """v2 (Linux 5.14+): SIGKILL every process of the group at once, frozen ones included."""
    if not _is_v1(folder) and os.path.exists(os.path.join(folder, "cgroup.kill")):
        _write(folder, "cgroup.kill", "1")


def _write(folder: str, name: str, value: str) -> None:
    if name == "cgroup.freeze":
        value = "1" if value == _FROZEN else "0"
    with contextlib.suppress(OSError), open(os.path.join(folder, name), "w") as file:
        file.write(value)


def _read_stat(folder: str, name: str = "memory.stat") -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError), open(os.path.join(folder, name)) as stat:
        for line in stat:
            key, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                values[key] = int(value)
    return values


def _listdirs(folder: str) -> list[str]:
    with contextlib.suppress(OSError):
        return [e.name for e in os.scandir(folder) if e.is_dir()]
    return []


def _remove_cgroup(folder: str) -> None:
    """Remove a cgroup folder, ending anything still in it first."""
    for _ in range(200):
        try:
            os.rmdir(folder)
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                return
        _kill_group(folder)
        with contextlib.suppress(OSError), open(os.path.join(folder, "cgroup.procs")) as procs:
            _signal_all([int(line) for line in procs if line.strip()], signal.SIGKILL)
        if os.path.exists(os.path.join(folder, "freezer.state")):
            _write(folder, "freezer.state", _THAWED)
        time.sleep(0.005)


def _remove_abandoned_cgroups() -> None:
    """Remove the cgroups of labs whose process died without stop()."""
    for parent in {_controller_dir(controller) for controller in (*CONTROLLERS, CPU)}:
        for name in _listdirs(parent) if parent else []:
            owner = name[len(PREFIX) :].split("-", 1)[0] if name.startswith(PREFIX) else ""
            if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
                folder = os.path.join(parent, name)
                for child in _listdirs(folder):
                    _remove_cgroup(os.path.join(folder, child))
                _remove_cgroup(folder)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _members_from_proc(root: int, uid: int | None, level: str) -> list[int]:
    """The environment's processes found through /proc: its own user id where it has one,
    else the same PID namespace as its runtime, else the runtime's descendants."""
    if not root and uid is None:
        return []
    ns = None
    if uid is None and level != LEVELS[2]:
        with contextlib.suppress(OSError):
            ns = os.readlink(f"/proc/{root}/ns/pid")
    parents: dict[int, int] = {}
    found: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if uid is not None:
                if entry.stat().st_uid == uid:
                    found.append(pid)
                continue
            if ns is not None:
                if os.readlink(f"/proc/{pid}/ns/pid") == ns:
                    found.append(pid)
                continue
            with open(f"/proc/{pid}/stat") as stat:
                parents[pid] = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    if uid is not None or ns is not None:
        return found
    tree, changed = {root} if _alive(root) else set(), True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return sorted(tree)


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _private_mb(pid: int) -> float:
    """Memory only this process uses (its private pages), in MB."""
    total = 0
    with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


def end_all(specs: list[dict]) -> None:
    """End every process of these boxes and remove their cgroups (the template does this when
    its lab died without stop(), so frozen environments and daemons do not outlive it)."""
    uids = {spec["uid"] for spec in specs if spec.get("uid") is not None}
    for spec in specs:
        for controller in sorted(spec["cgroups"], key=lambda name: name != "freezer"):
            _remove_cgroup(spec["cgroups"][controller])  # thawed first: frozen tasks cannot die
    for _ in range(3):
        pids = [pid for uid in uids for pid in _members_from_proc(0, uid, LEVELS[2])]
        _signal_all(pids, signal.SIGKILL)
    for spec in specs[:1]:
        for folder in spec["cgroups"].values():
            _remove_cgroup(os.path.dirname(folder))


# -- the worker side: runs inside the environment's own processes -------------------------
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _unshare_namespaces() -> None:
    """New mount and PID namespaces (inside a user namespace when not root)."""
    libc = _libc()
    if os.geteuid() == 0:
        _check(libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID), "unshare")
        return
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID), "unshare")
    for name, line in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(line)
    with open("/proc/self/gid_map", "w") as file:
        file.write(f"{gid} {gid} 1")


def join_cgroups(cgroups: dict[str, str]) -> None:
    """Move this process (and so everything it starts) into the environment's cgroups."""
    for folder in cgroups.values():
        with open(os.path.join(folder, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))


@dataclass
class View:
    """What the environment's first process made of the filesystem (`enter_outside`)."""

    namespaces: bool  # its own mount and PID namespaces
    tmp_mode: str  # "tmpfs" (a private /tmp of the right size) or "rlimit" (a quota on writes)
    moved: dict[str, str] = field(default_factory=dict)  # host folder -> where the handler sees it


def enter_outside(
    spec: dict, tmp_mb: int, tmp_dir: str, private_tmp_ok: bool, folders: dict, needed: list[str]
) -> View:
    """In the environment's first process: cgroups, namespaces, the read-only view, /tmp.

    `folders` maps AWS's fixed places to the lab's host folders: {"/var/task": code folder,
    "/opt": layers folder or None (an empty /opt)}. With namespaces each is shown at its AWS
    place; `needed` are host paths the runtime must still reach there (the interpreter and its
    packages), kept visible if an AWS place would hide them. The process must then fork: the
    child is the first process of the new PID namespace and runs the handler.
    """
    join_cgroups(spec["cgroups"])
    if spec["level"] == LEVELS[2]:
        return View(False, "rlimit")
    _unshare_namespaces()
    libc = _libc()
    _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate")
    moved = _show_at_aws_places(libc, folders, needed)
    for folder in spec.get("hidden", []):  # before the way is opened: it may lie on it
        _check(libc.mount(b"tmpfs", folder.encode(), b"tmpfs", _MS_NOSUID, b"mode=755"), "hide")
    reached = [*needed, tmp_dir, *(f for f in folders.values() if f)]
    _keep_of_home(libc, spec.get("home", ""), reached)
    if spec.get("uid") is not None:
        _open_the_way(libc, reached)
    _read_only_everywhere(libc)
    if tmp_mb and private_tmp_ok:
        options = f"size={tmp_mb}m,mode=1777".encode()
        if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", _MS_NOSUID | _MS_NODEV, options) == 0:
            return View(True, "tmpfs", moved)
    # /tmp stays the lab's folder for this environment: writable again through a bind mount.
    folder = tmp_dir.encode()
    _check(libc.mount(folder, folder, None, _MS_BIND, None), "bind /tmp")
    _check(libc.mount(None, folder, None, _MS_REMOUNT | _MS_BIND, None), "remount /tmp")
    return View(True, "rlimit", moved)


def _show_at_aws_places(libc: ctypes.CDLL, folders: dict, needed: list[str]) -> dict[str, str]:
    """Mount the code at /var/task and the layers at /opt, as a Lambda environment has them.

    A place that exists here (/opt) is covered with a small tmpfs that shows the source's
    entries, plus, through bind mounts, only those of its own entries that `needed` uses (a
    Python installed under /opt). A place that does not (/var/task) is added to its parent,
    whose entries all stay (the lab's own folders live in /var/tmp). A place with neither is
    left out, and the handler finds that folder at its host path. Returns {host folder: AWS
    place} for each source now shown at its place.
    """
    needed = [*needed, *(source for source in folders.values() if source)]
    moved: dict[str, str] = {}
    for place, source in folders.items():
        parent, name = os.path.split(place)
        if os.path.isdir(place):
            _cover(libc, place, _needed_entries(place, needed), _entries(source))
        elif parent != "/" and os.path.isdir(parent):
            _cover(libc, parent, sorted(os.listdir(parent)), {name: source})
        else:
            continue
        if source:
            moved[source] = place
    return moved


def private_folders() -> list[str]:
    """Folders no handler may read: Jupyter's runtime folder holds the server's token and the
    kernels' connection keys, with which code could run outside the sandbox."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return []
    folder = jupyter_runtime_dir()
    return [folder] if os.path.isdir(folder) else []


def _keep_of_home(libc: ctypes.CDLL, home: str, paths: list[str]) -> None:
    """Show the handler only what the runtime needs of the learner's home folder (the course,
    its packages), as an AWS environment has no home of the learner's: not their other files,
    keys or credentials. Where the runtime needs the home folder itself (the course installed
    at its top, as on Binder), it stays, read-only."""
    if not home or home == "/" or not os.path.isdir(home):
        return
    inside = [os.path.realpath(path) for path in paths if path]
    if any(home == path or home.startswith(path.rstrip("/") + "/") for path in inside):
        return
    _cover(libc, home, _needed_entries(home, paths), {})


def _open_the_way(libc: ctypes.CDLL, paths: list[str]) -> None:
    """Let a handler under its own user id reach `paths` (the interpreter, the course) where a
    folder on the way is closed to other users, such as a pyenv under /root: in this mount
    namespace only, that folder is covered by an open one showing just the entries on the way.
    Nothing else of it can be read: no capability to read every file is needed."""
    plan: dict[str, set[str]] = {}
    for path in paths:
        folder = os.path.realpath(path)
        while folder != "/":
            parent = os.path.dirname(folder)
            with contextlib.suppress(OSError):
                if not os.stat(parent).st_mode & 0o001 and os.path.exists(folder):
                    plan.setdefault(parent, set()).add(os.path.basename(folder))
            folder = parent
    for parent in sorted(plan, key=lambda folder: folder.count("/")):
        _cover(libc, parent, sorted(plan[parent]), {})


def _entries(folder: str | None) -> dict[str, str | None]:
    if not folder:
        return {}
    return {name: os.path.join(folder, name) for name in sorted(os.listdir(folder))}


def _needed_entries(folder: str, needed: list[str]) -> list[str]:
    """The entries of `folder` that a path in `needed` lies in."""
    inside = [os.path.realpath(path) + "/" for path in needed if path]
    return [
        name
        for name in sorted(os.listdir(folder))
        if any(path.startswith(os.path.join(folder, name) + "/") for path in inside)
    ]


def _cover(libc: ctypes.CDLL, covered: str, keep: list[str], shown: dict[str, str | None]) -> None:
    """Cover `covered` with a tmpfs holding bind mounts of its `keep` entries and of `shown`."""
    original = os.open(covered, os.O_PATH | os.O_DIRECTORY)  # still reaches what gets covered
    try:
        target = covered.encode()
        _check(libc.mount(b"tmpfs", target, b"tmpfs", _MS_NOSUID | _MS_NODEV, b"mode=755"), "tmpfs")
        sources = {name: f"/proc/self/fd/{original}/{name}" for name in keep if name not in shown}
        sources.update({name: source for name, source in shown.items()})
        for name, source in sources.items():
            point = os.path.join(covered, name)
            if source is None:
                os.mkdir(point)
                continue
            if os.path.islink(source):
                os.symlink(os.readlink(source), point)
                continue
            if os.path.isdir(source):
                os.mkdir(point)
            else:
                open(point, "w").close()
            flags = _MS_BIND | _MS_REC
            _check(libc.mount(source.encode(), point.encode(), None, flags, None), f"bind {point}")
    finally:
        os.close(original)


def _read_only_everywhere(libc: ctypes.CDLL) -> None:
    """Remount every mount of this namespace read-only, keeping each one's other flags."""
    with open("/proc/self/mountinfo") as info:
        mounts = [line.split() for line in info]
    for fields in sorted(mounts, key=lambda f: f[4].count("/")):
        point, options = fields[4], fields[5].split(",")
        if point.startswith("/proc") or "ro" in options:
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        for option in options:
            flags |= _MOUNT_FLAGS.get(option, 0)
        result = libc.mount(None, point.encode(), None, flags, None)
        if point == "/":
            _check(result, "remount / read-only")


def enter_inside(spec: dict, namespaces: bool) -> None:
    """In the handler's runtime process: its own session, /proc, user id and limits."""
    os.setsid()  # its own process group: killpg(0) reaches nothing outside the environment
    libc = _libc()
    if namespaces:
        libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    else:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans stay in the environment's tree
    uid = spec.get("uid")
    if uid is not None:
        libc.prctl(_PR_SET_KEEPCAPS, 1)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        libc.prctl(_PR_SET_DUMPABLE, 1)  # /proc/self stays its own (a uid change resets this)
        if not namespaces:  # no mount namespace to open the way to the interpreter
            _keep_reading(libc)
    if "pids" not in spec["cgroups"]:
        cap = process_cap()
        resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
    if namespaces and uid is None:
        # Not root: the user namespace made for the mounts gave this process every capability
        # inside it, enough to remount the read-only view writable or unmount /var. Drop them.
        _drop_capabilities(libc)
    # No program it runs gains privileges either (a set-user-id root program, file capabilities).
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    # After the user id change, which clears it: end with the parent, never orphaned.
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Give up every capability, now and for whatever this process runs."""
    for capability in range(64):  # the bounding set first: dropping it needs CAP_SETPCAP
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    data = (_CapData * 2)(_CapData(0, 0, 0), _CapData(0, 0, 0))
    _check(libc.capset(ctypes.byref(_CapHeader(_CAPABILITY_VERSION_3, 0)), data), "capset")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _keep_reading(libc: ctypes.CDLL) -> None:
    """Keep only the right to read any file (CAP_DAC_READ_SEARCH), for this process and what
    it runs: the interpreter may live in a folder only root can open (a pyenv under /root).
    Writing outside /tmp and signalling other users' processes stay denied."""
    bit = 1 << _CAP_DAC_READ_SEARCH
    data = (_CapData * 2)(_CapData(bit, bit, bit), _CapData(0, 0, 0))
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    _check(libc.capset(ctypes.byref(header), data), "capset")
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE, _CAP_DAC_READ_SEARCH, 0, 0)

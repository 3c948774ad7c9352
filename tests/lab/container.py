"""Run a process as a Binder or JupyterHub container runs the learner: not root, and, like
Docker's default seccomp profile, without the right to make namespaces.

Only root can switch to another user, so the tests that use this skip elsewhere (there the
whole suite already runs as a learner). The seccomp filter is the kernel's own: the same
system calls Docker's default profile refuses (unshare, setns, clone with a namespace flag)
fail with EPERM, and clone3 with ENOSYS so that libc falls back to clone.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

# A user id no account uses, below the range the lab gives handlers (course.lab.sandbox).
LEARNER_UID = 2_900_000
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_NEWNS, _MS_REC, _MS_PRIVATE = 0x00020000, 0x4000, 0x40000
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID and NEWNET
_NAMESPACE_FLAGS = 0x7E020000
# (audit architecture, unshare, setns, clone, clone3) per machine
_SYSCALLS = {
    "x86_64": (0xC000003E, 272, 308, 56, 435),
    "aarch64": (0xC00000B7, 97, 268, 220, 435),
}


def _filter() -> bytes:
    arch, unshare, setns, clone, clone3 = _SYSCALLS[platform.machine()]

    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    return b"".join(
        [
            op(_LD_W_ABS, 4),  # 0: seccomp_data.arch
            op(_JEQ_K, arch, 0, 8),  # 1: another architecture: allow (jump to 10)
            op(_LD_W_ABS, 0),  # 2: seccomp_data.nr
            op(_JEQ_K, unshare, 7, 0),  # 3: -> 11 EPERM
            op(_JEQ_K, setns, 6, 0),  # 4: -> 11 EPERM
            op(_JEQ_K, clone3, 6, 0),  # 5: -> 12 ENOSYS
            op(_JEQ_K, clone, 0, 3),  # 6: not clone -> 10 allow
            op(_LD_W_ABS, 16),  # 7: clone's flags (args[0], low word)
            op(_JSET_K, _NAMESPACE_FLAGS, 2, 0),  # 8: a namespace flag -> 11 EPERM
            op(_RET_K, _RET_ALLOW),  # 9
            op(_RET_K, _RET_ALLOW),  # 10
            op(_RET_K, _RET_ERRNO | _EPERM),  # 11
            op(_RET_K, _RET_ERRNO | _ENOSYS),  # 12
        ]
    )


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def forbid_namespaces() -> None:
    """Refuse namespaces to this process and everything it starts, as Docker's profile does."""
    code = _filter()
    program = _Program(len(code) // 8, code)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp")


def become_learner(blocked: list[str]) -> None:
    """Drop root for LEARNER_UID, after opening the way to the interpreter as a hub image has
    it: each folder in `blocked` (one only root may enter, such as /root holding a pyenv) is
    covered, in a mount namespace of this process, by an open folder that shows again only
    the entry on the interpreter's path."""
    from course.lab import sandbox

    libc = ctypes.CDLL(None, use_errno=True)
    for index, (folder, entry) in enumerate(blocked_folders(blocked)):
        if index == 0:  # a mount namespace of this process only: the machine is untouched
            sandbox._check(libc.unshare(_CLONE_NEWNS), "unshare")
            sandbox._check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "private")
        sandbox._cover(libc, folder, [entry], {})
    os.setgroups([])
    os.setgid(LEARNER_UID)
    os.setuid(LEARNER_UID)


def blocked_folders(paths: list[str]) -> list[tuple[str, str]]:
    """(folder, entry) for each folder on the way to `paths` that other users cannot enter."""
    found = []
    for path in paths:
        folder = os.path.realpath(path)
        while folder != "/":
            parent = os.path.dirname(folder)
            if not os.stat(parent).st_mode & 0o001 and (parent, folder) not in found:
                found.append((parent, os.path.basename(folder)))
            folder = parent
    return found

"""Hostile and faulty handlers: each tries one thing a sandbox must stop, and reports how it went.

Every attack is bounded even if the sandbox fails: forks and threads stop at a fixed count,
writes go only to the paths the test passes in (scratch folders), daemons sleep a bounded time.
"""

import errno
import os
import signal
import threading
import time


def write_file(event, context):
    """Try to create or overwrite each path in event["paths"]; report the errno of each."""
    results = {}
    for path in event["paths"]:
        try:
            with open(path, "w") as file:
                file.write("overwritten by a handler\n")
            results[path] = 0
        except OSError as exc:
            results[path] = exc.errno
    return results


def delete_file(event, context):
    """Try to delete each path in event["paths"]; report the errno of each."""
    results = {}
    for path in event["paths"]:
        try:
            os.remove(path)
            results[path] = 0
        except OSError as exc:
            results[path] = exc.errno
    return results


def kill_pids(event, context):
    """Try to SIGKILL each pid in event["pids"] (the lab, the template): report the errno."""
    results = {}
    for pid in event["pids"]:
        try:
            os.kill(pid, event.get("signal", signal.SIGKILL))
            results[str(pid)] = 0
        except OSError as exc:
            results[str(pid)] = exc.errno
    return results


def kill_parent(event, context):
    """Kill the parent process (the template outside a sandbox), as a careless handler might."""
    parent = os.getppid()
    if parent <= 1:
        return {"parent": parent, "errno": None}  # no parent in sight: a PID namespace
    try:
        os.kill(parent, signal.SIGKILL)
        return {"parent": parent, "errno": 0}
    except OSError as exc:
        return {"parent": parent, "errno": exc.errno}


def kill_group(event, context):
    """SIGKILL the handler's whole process group (itself included)."""
    os.killpg(0, signal.SIGKILL)
    return "still here"


def visible_pids(event, context):
    """The processes this handler can see."""
    return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())


def environment(event, context):
    """The environment variables, as os.environ and as the kernel keeps them for this process."""
    with open("/proc/self/environ", "rb") as raw:
        kernel = [item.split(b"=", 1)[0].decode() for item in raw.read().split(b"\0") if item]
    return {"environ": sorted(os.environ), "proc": sorted(kernel)}


def fork_many(event, context):
    """Hold event["threads"] sleeping threads, then start up to event["count"] sleeping
    child processes; report how many of each started (processes and threads share one cap)."""
    stop = threading.Event()
    threads = []
    for _ in range(event.get("threads", 0)):
        thread = threading.Thread(target=stop.wait, args=(10,), daemon=True)
        thread.start()
        threads.append(thread)
    made, error, children = 0, None, []
    sleep = ["/bin/sleep", str(event.get("sleep_s", 2))]
    for _ in range(event["count"]):
        try:  # a new process like fork's, without copying this one (fast, bounded memory)
            pid = os.posix_spawn(sleep[0], sleep, {})
        except OSError as exc:
            error = exc.errno
            break
        children.append(pid)
        made += 1
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    stop.set()
    for thread in threads:
        thread.join()
    return {"made": made, "threads": len(threads), "errno": error}


def threads_many(event, context):
    """Start up to event["count"] sleeping threads; report how many started."""
    stop = threading.Event()
    made, error = 0, None
    threads = []
    for _ in range(event["count"]):
        try:
            thread = threading.Thread(target=stop.wait, args=(5,), daemon=True)
            thread.start()
        except RuntimeError as exc:
            error = str(exc)
            break
        threads.append(thread)
        made += 1
    stop.set()
    for thread in threads:
        thread.join()
    return {"made": made, "error": error}


def leave_daemon(event, context):
    """Double-fork a daemon in its own session that outlives the invocation (bounded)."""
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, b"x")
            deadline = time.time() + event.get("live_s", 30)
            while time.time() < deadline:
                time.sleep(0.05)
            os._exit(0)
        os._exit(0)
    os.read(read, 1)
    while event.get("then_hang"):
        time.sleep(0.05)
    return "daemon started"


def busy_thread(event, context):
    """Leave a thread spinning after returning (freezing must stop it using CPU)."""

    def spin():
        deadline = time.time() + event.get("live_s", 20)
        while time.time() < deadline:
            pass

    threading.Thread(target=spin, daemon=True).start()
    return "spinning"


def child_memory(event, context):
    """A child process allocates event["mb"] MB: memory counts the whole environment."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        block = bytearray(event["mb"] * 1024 * 1024)
        for index in range(0, len(block), 4096):
            block[index] = 1
        os.write(write, b"x")
        time.sleep(10)
        os._exit(0)
    os.read(read, 1)
    time.sleep(1)
    return "child allocated"


def print_then_hang(event, context):
    """Print, then run past the timeout."""
    print(event.get("text", "before the timeout"), flush=True)
    while True:
        time.sleep(0.05)


def print_then_exit(event, context):
    """Print, then end the process with os._exit (no response)."""
    print(event.get("text", "before the crash"), flush=True)
    os._exit(event.get("code", 7))


def print_then_oom(event, context):
    """Print, then allocate far past the memory size."""
    print(event.get("text", "before running out of memory"), flush=True)
    blocks = []
    while True:
        blocks.append(bytearray(16 * 1024 * 1024))


def flood(event, context):
    """Print event["mb"] MB of output, or one line of event["line_bytes"] bytes."""
    if "line_bytes" in event:
        print("y" * event["line_bytes"])
        return "one long line"
    line = "x" * 1023
    for _ in range(event["mb"] * 1024):
        print(line)
    return "flooded"


def decimal_value(event, context):
    """A DynamoDB-style item with Decimal numbers."""
    from decimal import Decimal

    return {"price": Decimal("1.5"), "count": Decimal("3")}


def sized_response(event, context):
    """A JSON string of event["bytes"] characters (the response is 2 bytes more)."""
    return "x" * event["bytes"]


def crash_segfault(event, context):
    """Crash the interpreter."""
    import ctypes

    ctypes.string_at(0)


def sleep(event, context):
    """Sleep event["s"] seconds."""
    time.sleep(event.get("s", 30))
    return "slept"


def ok(event, context):
    """Answer at once."""
    return {"ok": True, "errno": errno.EROFS}


def places(event, context):
    """Where the code and the layers are, and what the handler finds in those folders."""

    def listing(folder):
        try:
            return sorted(os.listdir(folder))
        except OSError as exc:
            return exc.errno

    return {
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "cwd": os.getcwd(),
        "module": __file__,
        "var_task": listing("/var/task"),
        "opt": listing("/opt"),
        "lambda_opt": os.environ.get("LAMBDA_OPT"),
    }


def fail(event, context):
    """Raise, so the stack trace shows where the code lives."""
    raise RuntimeError(event.get("message", "failed on purpose"))


def remount_and_write(event, context):
    """Try to make every mount writable again (a remount of each, keeping its other flags, and
    unmounting what covers /var), if event["nested"] inside a user namespace of its own, then
    write each path; report the steps (0: it worked)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if event.get("nested"):  # a user and mount namespace of its own: every capability in it
        clone_newns, clone_newuser = 0x00020000, 0x10000000
        nested = libc.unshare(clone_newuser | clone_newns)
        report_nested = 0 if nested == 0 else ctypes.get_errno()
    flags = {"nosuid": 0x2, "nodev": 0x4, "noexec": 0x8, "relatime": 0x200000, "noatime": 0x400}
    steps = {"umount": 0 if libc.umount2(b"/var", 2) == 0 else ctypes.get_errno()}
    with open("/proc/self/mountinfo") as info:
        mounts = [line.split() for line in info]
    remounted = 0
    for fields in mounts:
        extra = sum(flags.get(option, 0) for option in fields[5].split(","))
        if libc.mount(None, fields[4].encode(), None, 0x20 | 0x1000 | extra, None) == 0:
            remounted += 1
    steps["remounted"] = remounted
    if event.get("nested"):
        steps["nested"] = report_nested
    for path in event["paths"]:
        try:
            with open(path, "a") as file:
                file.write("")
            steps[path] = 0
        except OSError as exc:
            steps[path] = exc.errno
    return steps


def read_files(event, context):
    """Try to read each path in event["paths"]: its size, or the errno that stopped it."""
    report = {}
    for path in event["paths"]:
        try:
            with open(path, "rb") as file:
                report[path] = len(file.read())
        except OSError as exc:
            report[path] = -exc.errno
    return report

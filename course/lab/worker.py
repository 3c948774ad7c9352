"""The Lambda runtime inside a worker process: the bootstrap that loads and runs a handler.

`python -m course.lab.worker` starts the *template* process (a "zygote"): it preloads the runtime
and boto3 once, then forks one process per execution environment when the lab asks for one.
Each forked environment imports the learner's handler (the init phase), then answers invoke
messages one at a time, like the Lambda Runtime API's next/response loop. Nothing here runs in
the lab's own process.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import json
import logging
import os
import signal
import socket
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from course.lab import log_format, sandbox, trace_recorder

# Frames of the runtime itself, hidden from stack traces (the recorder wraps every SDK call).
_THIS_FILE = ("course/lab/worker.py", "course/lab/trace_recorder.py")
HOP_HEADER = "x-course-lambda-hop"  # carries the recursion hop count to the lab
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36


class _CognitoIdentity:
    """`context.identity`: empty unless the caller is a Cognito identity (never, offline)."""

    cognito_identity_id = None
    cognito_identity_pool_id = None


class _ClientContext:
    """`context.client_context`: what a mobile SDK caller sent in X-Amz-Client-Context."""

    def __init__(self, data: dict):
        self.client = data.get("client")
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    """The context object a Python handler receives as its second argument."""

    def __init__(self, message: dict, env: dict):
        self.function_name = env["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = env["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = message["invoked_function_arn"]
        self.memory_limit_in_mb = int(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id = message["request_id"]
        self.log_group_name = env["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = _CognitoIdentity()
        cc = message.get("client_context")
        self.client_context = _ClientContext(cc) if cc is not None else None
        self._deadline = message["deadline"]

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda stops this invocation."""
        return max(0, int((self._deadline - time.time()) * 1000))


class _LambdaLogHandler(logging.Handler):
    """Formats `logging` records like the Lambda Python runtime and writes them to stdout."""

    def __init__(self) -> None:
        super().__init__()
        self.request_id = ""
        self.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
        self.formatter.converter = time.gmtime

    def emit(self, record: logging.LogRecord) -> None:
        record.aws_request_id = self.request_id
        sys.stdout.write(self.format(record) + "\n")


def _error(error_type: str, message: str, trace: list[str] | None = None) -> dict:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": trace or []}


def _user_trace(tb: Any) -> list[str]:
    """Stack frames of the learner's code only, formatted like the Lambda runtime does."""
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.endswith(_THIS_FILE)]
    return traceback.format_list(frames)


def _json_default(value: Any) -> Any:
    """Encode what json cannot: a Decimal (a DynamoDB number) as a JSON number, as the Lambda
    Python runtime does; anything else fails as Runtime.MarshalError."""
    import decimal

    if isinstance(value, decimal.Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _peak_rss_mb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return -(-int(line.split()[1]) // 1024)
    return 0


class Environment:
    """One execution environment: init once, then run invocations until killed."""

    def __init__(self, conn: Connection, env: dict):
        self.conn = conn
        self.env = env
        self.handler = None
        self.init_error: dict | None = None
        self.log_handler = _LambdaLogHandler()
        self.hop = 0
        self.pid = os.getpid()

    def init(self) -> None:
        """The init phase: import the handler's module (what it prints goes to the log pipe)."""
        try:
            self.handler = self._load(self.env["_HANDLER"])
        except _InitError as exc:
            self.init_error = exc.error
            print(log_format.uncaught_error(exc.error, self.env, traceback=False), end="")
        finally:
            self._own_output()
            if os.getpid() != self.pid:
                os._exit(0)  # a process the module forked must not answer for the runtime

    @staticmethod
    def _own_output() -> None:
        """Put stdout and stderr back on the log pipe, whatever the handler did with them."""
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__

    @staticmethod
    def _load(handler_name: str) -> Any:
        module_name, _, function_name = handler_name.rpartition(".")
        if not module_name:
            raise _InitError(
                "Runtime.MalformedHandlerName",
                f"Bad handler '{handler_name}': not enough values to unpack (expected 2, got 1)",
            )
        import importlib

        try:
            module = importlib.import_module(module_name.replace("/", "."))
        except SyntaxError as exc:
            raise _InitError(
                "Runtime.UserCodeSyntaxError",
                f"Syntax error in module '{module_name}': {exc}",
                _user_trace(exc.__traceback__),
            ) from None
        except ImportError as exc:
            raise _InitError(
                "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
            ) from None
        except Exception as exc:
            raise _InitError(type(exc).__name__, str(exc), _user_trace(exc.__traceback__)) from None
        handler = getattr(module, function_name, None)
        if handler is None:
            raise _InitError(
                "Runtime.HandlerNotFound",
                f"Handler '{function_name}' missing on module '{module_name}'",
            )
        return handler

    def invoke(self, message: dict) -> dict:
        """Run the handler once and return the response message for the lab."""
        if self.init_error is not None:
            return {"ok": False, "error": self.init_error, "max_mb": _peak_rss_mb()}
        request_id = message["request_id"]
        self.log_handler.request_id = request_id
        self.hop = message["hop"]
        context = LambdaContext(message, self.env)
        os.environ["_X_AMZN_TRACE_ID"] = message["trace_id"]
        trace_recorder.start(message["trace_id"])
        _set_tmp_quota(message["tmp_quota_bytes"])
        start = time.perf_counter()
        try:
            result = self.handler(json.loads(message["event"]), context)
            if os.getpid() != self.pid:
                os._exit(0)  # a process the handler forked returned: only the runtime answers
            try:
                response = {"ok": True, "payload": json.dumps(result, default=_json_default)}
            except (TypeError, ValueError) as exc:
                response = {
                    "ok": False,
                    "error": _error("Runtime.MarshalError", f"Unable to marshal response: {exc}"),
                }
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if os.getpid() != self.pid:
                os._exit(code)
            response = {"ok": False, "exit": code}
        except Exception as exc:
            if os.getpid() != self.pid:
                os._exit(1)
            trace = _user_trace(exc.__traceback__.tb_next)
            response = {"ok": False, "error": _error(type(exc).__name__, str(exc), trace)}
            error = {**response["error"], "requestId": request_id}
            print(log_format.uncaught_error(error, self.env), end="")
        finally:
            duration = (time.perf_counter() - start) * 1000
            self._own_output()
            _set_tmp_quota(None)
        if "error" in response:
            response["error"]["requestId"] = request_id
        response.update(duration_ms=duration, max_mb=_peak_rss_mb())
        response["subsegments"] = trace_recorder.finish()
        return response

    def serve(self) -> None:
        """The Runtime API loop: wait for an event, run it, send the result, repeat."""
        while True:
            try:
                message = json.loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                os._exit(0)
            response = self.invoke(message)
            self.conn.send_bytes(json.dumps(response).encode())
            if "exit" in response:
                os._exit(response["exit"])


class _InitError(Exception):
    def __init__(self, error_type: str, message: str, trace: list[str] | None = None):
        super().__init__(message)
        self.error = _error(error_type, message, trace)


def _under_tmp(paths: list[str]) -> bool:
    """Whether any of `paths` lives in the host's /tmp, which a private /tmp mount would hide."""
    real = [os.path.realpath(path) for path in paths if path]
    return any(path == "/tmp" or path.startswith("/tmp/") for path in real)


def _set_tmp_quota(limit: int | None) -> None:
    """Cap file writes at the remaining /tmp budget (RLIMIT_FSIZE, so writes fail with EFBIG)."""
    import resource

    value = resource.RLIM_INFINITY if limit is None else max(limit, 0)
    resource.setrlimit(resource.RLIMIT_FSIZE, (value, resource.RLIM_INFINITY))


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends, so nothing is orphaned."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_current_environment: Environment | None = None


def _add_hop_header(request: Any) -> None:
    if _current_environment is not None:
        request.headers[HOP_HEADER] = str(_current_environment.hop)


def _patch_botocore() -> None:
    """Every AWS call the handler makes carries its hop count, for the recursion guard."""
    from botocore.httpsession import URLLib3Session

    original = URLLib3Session.send

    def send(self: Any, request: Any) -> Any:
        _add_hop_header(request)
        return original(self, request)

    URLLib3Session.send = send
    trace_recorder.install()  # the handler's AWS calls as X-Ray subsegments (Active tracing)


def _warm_up() -> None:
    """Preload boto3 and the service models learners use, so cold starts stay short."""
    import boto3

    session = boto3.Session()  # the region comes from each environment's AWS_REGION
    for service in ("s3", "dynamodb", "sqs", "sns", "lambda", "logs", "sts", "events"):
        session.client(
            service,
            region_name="us-east-1",
            endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="warm",
            aws_secret_access_key="warm",
        )
    boto3.DEFAULT_SESSION = session
    _patch_botocore()


def _run_environment(fd: int, log_fd: int, spec: dict) -> None:
    """The environment's first process: enter the sandbox, fork the runtime, report its end.

    It stays outside the PID namespace it makes, waits for the runtime (the namespace's first
    process, whose end ends every process in it) and tells the lab its exit status.
    """
    env = spec["env"]
    reads = [env["LAMBDA_TASK_ROOT"], sys.prefix, sys.base_prefix, *sys.path]
    private_ok = bool(spec["tmp_mb"]) and not _under_tmp(reads)
    conn = Connection(fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    folders = {"/var/task": env["LAMBDA_TASK_ROOT"], "/opt": spec.get("opt")}
    try:
        view = sandbox.enter_outside(
            spec["sandbox"], spec["tmp_mb"], env["TMPDIR"], private_ok, folders, reads
        )
    except OSError as exc:
        conn.send_bytes(json.dumps({"sandbox_error": str(exc)}).encode())
        os._exit(1)
    _die_with_parent()  # after the namespaces: a credential change may clear this setting
    ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans come to us to be reaped
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_write)
        os.read(go_read, 1)
        os.close(go_read)
        try:
            _run_runtime(conn, log_fd, _relocated(spec, view.moved), view.namespaces, view.tmp_mode)
        finally:
            os._exit(1)
    os.close(go_read)
    os.close(log_fd)
    hello = {"pid": pid, "tmp_mode": view.tmp_mode}  # the pid lets the lab stop init
    conn.send_bytes(json.dumps(hello).encode())
    os.write(go_write, b"g")
    while True:  # reap the runtime and every orphan handed to us, then go
        try:
            child, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        if child == pid:
            with contextlib.suppress(OSError):
                conn.send_bytes(json.dumps({"exited": os.waitstatus_to_exitcode(status)}).encode())
            conn.close()


def _relocated(spec: dict, moved: dict[str, str]) -> dict:
    """`spec` with the host folders the sandbox shows at AWS's places (/var/task, /opt) named
    by those places, in the environment variables and the layers' sys.path entries."""

    def place(value: str) -> str:
        for host, aws in moved.items():
            value = value.replace(host, aws)
        return value

    env = {name: place(value) for name, value in spec["env"].items()}
    if "/opt" in moved.values():
        env.pop("LAMBDA_OPT", None)  # the layers are at /opt, as on AWS
    return {**spec, "env": env, "sys_path": [place(path) for path in spec.get("sys_path", [])]}


def _run_runtime(conn: Connection, log_fd: int, spec: dict, namespaces: bool, mode: str) -> None:
    """The runtime process: the handler's init phase, then the invoke loop."""
    global _current_environment
    env = spec["env"]
    sandbox.enter_inside(spec["sandbox"], namespaces)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.__stdout__ = sys.__stderr__ = sys.stdout = sys.stderr = _log_stream()
    if mode == "tmpfs":
        env["TMPDIR"] = "/tmp"
    os.environ.clear()
    os.environ.update(env)
    os.chdir(env["LAMBDA_TASK_ROOT"])
    sys.path.insert(0, env["LAMBDA_TASK_ROOT"])
    sys.path[1:1] = spec.get("sys_path", [])  # the layers' python folders, after the task root
    import tempfile

    tempfile.tempdir = None
    root = logging.getLogger()
    root.handlers[:] = []
    environment = Environment(conn, env)
    root.addHandler(environment.log_handler)
    log_format.configure(environment.log_handler, root, env)  # LoggingConfig: JSON, level
    _current_environment = environment
    environment.init()
    ready = {"logs": "", "init_failed": environment.init_error is not None}
    conn.send_bytes(json.dumps(ready).encode())
    environment.serve()


class _WholeWrites(io.RawIOBase):
    """fd 1, written in full: a pipe may take only part of a large write (a signal, such as
    the freeze after an invoke, can interrupt it), and an unbuffered stream drops the rest."""

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        view, done = memoryview(data), 0
        while done < len(view):
            done += os.write(1, view[done:])
        return done


def _log_stream() -> io.TextIOWrapper:
    """stdout and stderr of the handler: written straight to the lab's log pipe, so what was
    printed before a timeout or a crash is kept, and child processes' output too."""
    return io.TextIOWrapper(_WholeWrites(), encoding="utf-8", errors="replace", write_through=True)


def zygote(control: socket.socket) -> None:
    """Template loop: fork a new execution environment for each request from the lab.

    It ends when the lab's end of `control` closes (the lab stopped or died). No parent-death
    signal here: Linux sends it when the *thread* that started us ends, and a lab started from
    a short-lived thread must keep its template.
    """
    _warm_up()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    gc.collect()
    gc.freeze()
    control.sendall(b"ready\n")
    boxes: list[dict] = []  # every sandbox forked, to end them all if the lab dies
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 2)
        except OSError:
            data, fds = b"", []
        if not data:  # the lab is gone: end every environment with it, daemons included
            sandbox.end_all(boxes)
            os.killpg(0, signal.SIGKILL)
        spec = json.loads(data)
        boxes.append(spec["sandbox"])
        if os.fork() == 0:
            control.close()
            try:
                _run_environment(fds[0], fds[1], spec)
            finally:
                os._exit(1)
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    os.setpgrp()
    zygote(socket.socket(fileno=int(sys.argv[1])))

"""Execution environments: where each Lambda invocation really runs, with AWS's limits.

An execution environment is a worker process forked from a template process that has the
runtime and boto3 preloaded. It is created on a cold start, reused while warm, and ended
after a crash, a timeout, running out of memory, a code or configuration change, or an idle
expiry. Concurrent invocations get separate environments; reserved concurrency and the
account limit throttle with TooManyRequestsException, as on AWS.
"""

from __future__ import annotations

import contextlib
import glob
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from course.facts import fact
from course.lab import layers, log_format, tracing
from course.lab.init_billing import init_is_billed
from course.lab.invocation import INVOKED_ALIAS_ARN, Invocation
from course.lab.logs import FunctionLog, OutputBuffer
from course.lab.sandbox import Box, Sandbox

POLL_S = 0.01  # how often a running invocation's memory and deadline are checked
LAB_PREFIX = "lambda-lab-"  # a lab's folder: lambda-lab-<owner pid>-<random>
IDLE_EXPIRY_S = 15 * 60.0  # the lab's choice, not an AWS figure: AWS does not publish one
# What the template process inherits: never the learner's shell environment, which a handler
# could otherwise read in /proc/self/environ.
TEMPLATE_ENV = ("PATH", "PYTHONPATH", "LANG", "TZ")


@dataclass
class Result:
    """What one run of a handler produced: the payload and, on failure, the error type."""

    payload: bytes
    error_type: str | None
    log_text: str
    invocation: Invocation


class TooManyRequests(Exception):
    """The invocation was throttled: no concurrency was left for it."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def billed_ms(duration_ms: float) -> int:
    """Billed duration: the duration rounded up to the billing granularity from the facts."""
    step = int(fact("pricing.billing_granularity_ms").value)
    return max(step, -(-int(duration_ms * 1000) // (step * 1000)) * step)


def _fingerprint(fn: Any) -> str:
    """Everything whose change makes AWS start fresh execution environments."""
    return json.dumps(
        [
            fn.function_arn,
            str(fn.version),
            fn.code_sha_256,
            fn.handler,
            fn.run_time,
            fn.memory_size,
            fn.timeout,
            fn.ephemeral_storage,
            fn.role,
            fn.environment_vars,
            fn.last_modified,  # differs when moto's state was reset and the function re-created
        ],
        sort_keys=True,
        default=str,
    )


class Template:
    """The template ("zygote") process: boto3 preloaded once, forks execution environments."""

    def __init__(self, env: dict[str, str]):
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "course.lab.worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env={k: v for k, v in env.items() if k in TEMPLATE_ENV},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        theirs.close()
        self._lock = threading.Lock()
        self._control.settimeout(60)
        self._ready = False  # the template warms up in the background while the lab starts

    def alive(self) -> bool:
        """Whether the template process still runs (a handler or a signal may have ended it)."""
        return self.process.poll() is None

    def fork(self, spec: dict) -> tuple[Connection, int]:
        """Start one execution environment; return its message channel and its log pipe."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        log_read, log_write = os.pipe()
        try:
            with self._lock:
                if not self._ready:
                    if self._control.recv(16) != b"ready\n":
                        raise OSError("The Lambda runtime template process failed to start.")
                    self._ready = True
                socket.send_fds(
                    self._control, [json.dumps(spec).encode()], [theirs.fileno(), log_write]
                )
        except OSError:
            os.close(log_read)
            ours.close()
            raise
        finally:
            theirs.close()
            os.close(log_write)
        os.set_blocking(log_read, False)
        return Connection(ours.detach()), log_read

    def stop(self) -> None:
        """End the template and, with it, every environment it forked."""
        self._control.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class ExecutionEnvironment:
    """One isolated worker process that runs one invocation at a time.

    `tmp_mode` says how its /tmp is capped at the function's ephemeral storage: "tmpfs" (its own
    /tmp of exactly that size; writes past it fail with ENOSPC, as on AWS) or "rlimit" (the
    fallback where Linux does not allow the mount: /tmp is the folder `tmp_dir`, found through
    TMPDIR, and a file write past the budget left fails with EFBIG).
    """

    id: str
    key: str
    function_name: str
    conn: Connection
    tmp_dir: str
    tmp_cap_bytes: int
    memory_mb: int
    log: FunctionLog
    box: Box
    log_fd: int = -1
    pid: int = 0
    init_logs: str = ""
    init_ms: float | None = None
    last_used: float = field(default_factory=time.monotonic)
    busy: bool = False
    invocations: int = 0
    tmp_mode: str = "rlimit"
    initialization_type: str = "on-demand"  # provisioned-concurrency: kept until deprovisioned
    hello: dict | None = None  # the first message, when it was read early

    def kill(self) -> None:
        """End every process of the environment (daemons included) and remove its /tmp."""
        self.box.kill()
        with contextlib.suppress(OSError):  # a call that ended at the same moment closed it
            self.conn.close()
        if self.log_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.log_fd)
            self.log_fd = -1
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def rss_mb(self) -> float:
        """Memory of the environment in MB: the runtime's resident memory plus what its child
        processes use (0 when it is gone)."""
        return self._main_rss_mb() + self.box.children_mb() if self.pid else 0.0

    def _main_rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (FileNotFoundError, ProcessLookupError):
            pass
        return 0.0

    def tmp_used_bytes(self) -> int:
        """Bytes currently stored in this environment's /tmp."""
        top = f"/proc/{self.pid}/root/tmp" if self.tmp_mode == "tmpfs" else self.tmp_dir
        total = 0
        for root, _dirs, files in os.walk(top):
            for name in files:
                with contextlib.suppress(FileNotFoundError):
                    total += os.lstat(os.path.join(root, name)).st_size
        return total


@dataclass
class _Call:
    """The state of one invocation while it runs."""

    fn: Any
    request_id: str
    invocation_type: str
    start: float
    event: str
    init_ms: float | None = None
    run_start: float = 0.0
    logs: str = ""
    response: dict | None = None
    failure: dict | None = None
    peak_mb: float = 0.0  # the highest resident memory the runtime's poller saw
    trace: Any = None  # course.lab.tracing.Trace: the X-Ray ids and sampling decision
    exit_status: int | None = None  # how the runtime process ended, when it did

    def sample_rss(self, env: ExecutionEnvironment) -> float:
        """Read the worker's resident memory now (MB) and keep the peak."""
        rss = env.rss_mb()
        self.peak_mb = max(self.peak_mb, rss)
        return rss

    output: OutputBuffer = field(default_factory=OutputBuffer)
    generation: int = 0
    cancelled: Any = None  # a callable: True once the caller gave up (an async event cancelled)

    @property
    def deadline(self) -> float:
        """When the handler's Timeout runs out (counted from the end of the init phase)."""
        return self.run_start + float(self.fn.timeout)

    def init_deadline(self, init_limit_s: float) -> float:
        """When the init phase runs out: its own limit, or the Timeout if that is longer (AWS
        then runs init again inside the invoke, under the Timeout)."""
        return self.start + max(init_limit_s, float(self.fn.timeout))


class Runtime:
    """All execution environments of the lab, the concurrency limits and the invocation log."""

    def __init__(self, endpoint_url: str, base_env: dict[str, str], account_concurrency: int):
        self.endpoint_url = endpoint_url
        self.account_concurrency = account_concurrency
        self.idle_expiry_s: float = IDLE_EXPIRY_S
        self.init_limit_s = float(fact("timeout.init_phase_s").value)
        self.tmpfs = True  # a real /tmp per environment where Linux allows; False: the fallback
        self.invocations: list[Invocation] = []
        parent = _lab_dir()
        _remove_abandoned_labs(parent)
        try:
            self._root = tempfile.mkdtemp(prefix=f"{LAB_PREFIX}{os.getpid()}-", dir=parent)
        except PermissionError:  # os.access said yes, a security module (Landlock) says no
            self._root = tempfile.mkdtemp(prefix=f"{LAB_PREFIX}{os.getpid()}-")
        os.chmod(self._root, 0o711)  # handlers under their own user id must reach their code
        self.sandbox = Sandbox(os.path.basename(self._root))
        self._base_env = base_env
        self._template = Template(base_env)
        self._template_lock = threading.Lock()
        self._generation = 0  # reset() moves it on: calls of an older one are not recorded
        self.stopped = False
        self._lock = threading.Lock()
        self._environments: list[ExecutionEnvironment] = []
        self._code_lock = threading.Lock()
        self.cpu = self.sandbox.cpu  # memory buys CPU: each environment's share (cpu_share)

    # -- environments -------------------------------------------------------------------
    def _code_dir(self, fn: Any) -> str:
        path = os.path.join(self._root, "code", fn.code_sha_256.replace("/", "_") or "empty")
        with self._code_lock:
            if not os.path.isdir(path):
                partial = path + ".partial"
                shutil.rmtree(partial, ignore_errors=True)
                os.makedirs(partial)
                if fn.code_bytes:
                    import io

                    with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as archive:
                        archive.extractall(partial)
                os.rename(partial, path)
        return path

    def _credentials(self, fn: Any) -> dict[str, str]:
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition

        backend = sts_backends[fn.account_id][get_partition(fn.region)]
        role = backend.assume_role(
            region_name=fn.region,
            role_session_name=fn.function_name,
            role_arn=fn.role,
            policy="",
            duration=3600,
            external_id="",
        )
        return {
            "AWS_ACCESS_KEY_ID": role.access_key_id,
            "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
            "AWS_SESSION_TOKEN": role.session_token,
        }

    def _create(
        self, fn: Any, key: str, initialization_type: str = "on-demand"
    ) -> ExecutionEnvironment:
        env_id = uuid.uuid4().hex
        tmp_dir = os.path.join(self._root, "tmp", env_id)
        os.makedirs(tmp_dir)
        size_mb = int(fn.ephemeral_storage)
        box = self.sandbox.box(env_id, int(fn.memory_size), size_mb if self.tmpfs else 0)
        if box.uid is not None:
            os.chown(tmp_dir, box.uid, box.uid)
        log = FunctionLog(fn, env_id)
        task_root = self._code_dir(fn)
        env = {
            "PATH": self._base_env.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONPATH": self._base_env.get("PYTHONPATH", ""),
            **{k: str(v) for k, v in (fn.environment_vars or {}).items()},
            "_HANDLER": fn.handler or "",
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.abspath(__file__)),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": log.group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log.stream,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TMPDIR": tmp_dir,
            **log_format.environment(getattr(fn, "logging_config", None) or {}),
            **self._credentials(fn),
        }
        sys_path = layers.mount(fn, self._root, env)  # the function's layers
        spec = {
            "env": env,
            "tmp_mb": size_mb if self.tmpfs else 0,
            "sys_path": sys_path,
            "opt": env.get("LAMBDA_OPT"),  # shown at /opt where the sandbox has namespaces
            "sandbox": box.spec(),
        }
        try:
            conn, log_fd = self._fork(spec)
        except OSError:
            box.kill()
            raise
        cap = size_mb * 1024 * 1024
        return ExecutionEnvironment(
            env_id,
            key,
            fn.function_name,
            conn,
            tmp_dir,
            cap,
            int(fn.memory_size),
            log,
            box,
            log_fd,
            initialization_type=initialization_type,
        )

    def _fork(self, spec: dict) -> tuple[Connection, int]:
        """Fork an environment from the template, starting a new template if it has died."""
        with self._template_lock:
            if self.stopped:
                raise OSError("The lab is stopped.")
            if not self._template.alive():
                self._template.stop()
                self._template = Template(self._base_env)
            template = self._template
        try:
            return template.fork(spec)
        except OSError:
            with self._template_lock:  # it died meanwhile: once more with a new one
                if self._template is template and not self.stopped:
                    template.stop()
                    self._template = Template(self._base_env)
                template = self._template
            return template.fork(spec)

    def _reserved(self, fn: Any) -> int | None:
        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[fn.account_id][fn.region]
        latest = backend.get_function(fn.function_name)
        value = latest.reserved_concurrency
        return None if value is None else int(value)

    def _unreserved_pool(self, fn: Any) -> int:
        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[fn.account_id][fn.region]
        reserved = sum(int(f.reserved_concurrency or 0) for f in backend.list_functions())
        return self.account_concurrency - reserved

    def _acquire(self, fn: Any) -> tuple[ExecutionEnvironment, bool]:
        """A free warm environment for `fn`, or a new one (cold), or TooManyRequests."""
        key = _fingerprint(fn)
        prefix = json.dumps([fn.function_arn, str(fn.version)])[:-1]
        now = time.monotonic()
        stale: list[ExecutionEnvironment] = []
        throttled: TooManyRequests | None = None
        warm = None
        with self._lock:
            for env in list(self._environments):
                expired = now - env.last_used > self.idle_expiry_s
                expired = expired and env.initialization_type == "on-demand"
                outdated = env.key != key and env.key.startswith(prefix)
                if not env.busy and (expired or outdated):
                    self._environments.remove(env)
                    stale.append(env)
            try:  # a warm environment needs a free concurrency slot too (reserved 0 throttles all)
                self._check_concurrency(fn)
            except TooManyRequests as error:
                throttled = error
            else:  # provisioned environments first, as on AWS
                free = [e for e in self._environments if e.key == key and not e.busy]
                warm = min(free, key=lambda e: e.initialization_type == "on-demand", default=None)
                if warm is not None:
                    warm.busy = True
        for env in stale:
            env.kill()
        if throttled is not None:
            raise throttled
        if warm is not None:
            return warm, False
        with self._lock:
            self._check_concurrency(fn)
            env = self._create(fn, key)
            env.busy = True
            self._environments.append(env)
        return env, True

    def _check_concurrency(self, fn: Any) -> None:
        busy = [e for e in self._environments if e.busy]
        reserved = self._reserved(fn)
        if reserved is not None:
            if sum(e.function_name == fn.function_name for e in busy) >= reserved:
                raise TooManyRequests(
                    "ReservedFunctionConcurrentInvocationLimitExceeded",
                    f"Rate Exceeded. Function {fn.function_name} has a reserved concurrency "
                    f"of {reserved}, and {reserved} invocations are already running.",
                )
            return
        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[fn.account_id][fn.region]
        reserved_names = {
            f.function_name for f in backend.list_functions() if f.reserved_concurrency is not None
        }
        unreserved_busy = sum(e.function_name not in reserved_names for e in busy)
        pool = self._unreserved_pool(fn)
        if unreserved_busy >= pool:
            raise TooManyRequests(
                "ConcurrentInvocationLimitExceeded",
                f"Rate Exceeded. The account's unreserved concurrency of {pool} concurrent "
                f"executions (account limit {self.account_concurrency}, "
                "concurrency.account_default in the facts file) is in use.",
            )

    def _release(self, env: ExecutionEnvironment, alive: bool) -> None:
        if alive:
            env.box.freeze()  # left-over threads and children use no CPU until the next invoke
        with self._lock:
            env.busy = False
            env.last_used = time.monotonic()
            if not alive and env in self._environments:
                self._environments.remove(env)
        if not alive:
            env.kill()

    def _next_message(self, env: ExecutionEnvironment, call: _Call) -> dict | None:
        """Wait up to POLL_S for the environment's next message, keeping what it prints.

        Returns None when nothing came; {"exited": None} when the channel broke.
        """
        if call.generation != self._generation or (call.cancelled and call.cancelled()):
            return {"exited": None}  # reset() or the caller ended this call
        try:
            ready = wait([env.conn, env.log_fd], POLL_S)
        except (OSError, ValueError):  # the environment was ended meanwhile
            return {"exited": None}
        if env.log_fd in ready:
            call.output.drain(env.log_fd)
        if env.conn not in ready:
            return None
        try:
            return json.loads(env.conn.recv_bytes())
        except (EOFError, OSError, ValueError):
            return {"exited": None}

    def _wait_ready(self, env: ExecutionEnvironment, call: _Call) -> dict | None:
        """Wait for the init phase to finish; None when the worker died, ran out of time or
        of memory (the worker is then ended)."""
        while time.time() < call.init_deadline(self.init_limit_s):
            if env.pid and call.sample_rss(env) > env.memory_mb:
                return None
            message, env.hello = env.hello or self._next_message(env, call), None
            if message is None:
                continue
            if "logs" in message:
                return message
            if "exited" in message or "sandbox_error" in message:
                call.exit_status = message.get("exited")
                return None
            env.pid, env.tmp_mode = message["pid"], message["tmp_mode"]
            env.box.attach(env.pid)
            self.cpu.apply(env.box, env.memory_mb)
        return None

    # -- invoke ------------------------------------------------------------------------
    def run(
        self,
        fn: Any,
        event: str,
        *,
        invocation_type: str = "RequestResponse",
        client_context: dict | None = None,
        hop: int = 1,
        request_id: str | None = None,
        cancelled: Any = None,
    ) -> Result:
        """Run one invocation of `fn` with `event` (JSON text) in an execution environment.

        `cancelled()`, when given, is asked while it runs: once True the environment is ended.
        A reset() meanwhile ends it too (and the call is not recorded)."""
        generation = self._generation
        env, cold = self._acquire(fn)
        if cold and not self._started(env, fn):  # the template died with our request
            self._release(env, alive=False)
            env, cold = self._acquire(fn)
        now = time.time()
        call = _Call(
            fn,
            request_id or str(uuid.uuid4()),
            invocation_type,
            now,
            event,
            run_start=now,
            generation=generation,
            cancelled=cancelled,
        )
        call.trace = tracing.Trace.begin(fn, now)
        try:
            ready: dict | None = {}
            if cold:
                ready = self._wait_ready(env, call)
                call.run_start = time.time()
                call.init_ms = (call.run_start - call.start) * 1000
                call.logs = call.output.take()
            if ready is None:
                call.failure = self._init_failure(env, call)
            else:
                self._execute(env, call, client_context, hop)
            return self._record(env, call, cold)
        finally:
            self._release(env, alive=call.failure is None)

    def _started(self, env: ExecutionEnvironment, fn: Any) -> bool:
        """Wait for a new environment's first message: False if the channel broke first (its
        template died before forking it), True otherwise (the message is kept for later)."""
        deadline = time.time() + max(self.init_limit_s, float(fn.timeout))
        while time.time() < deadline:
            try:
                if env.conn.poll(POLL_S):
                    env.hello = json.loads(env.conn.recv_bytes())
                    return True
            except (EOFError, OSError, ValueError):
                return False
        return True

    def _init_failure(self, env: ExecutionEnvironment, call: _Call) -> dict:
        if time.time() >= call.init_deadline(self.init_limit_s):
            return _timeout_error(call.fn, call.request_id, time.time() - call.start)
        if env.box.oom_killed() or env.rss_mb() > env.memory_mb:
            return _oom_error(call.request_id)
        return _exit_error(call.request_id, call.exit_status)

    def _execute(
        self, env: ExecutionEnvironment, call: _Call, client_context: dict | None, hop: int
    ) -> None:
        """Send the event to the worker and wait for its answer, enforcing the limits."""
        message = {
            "request_id": call.request_id,
            "event": call.event,
            "deadline": call.deadline,
            "invoked_function_arn": _invoked_arn(call.fn),
            "client_context": client_context,
            "hop": hop,
            "trace_id": call.trace.header(),
            "tmp_quota_bytes": (
                None if env.tmp_mode == "tmpfs" else env.tmp_cap_bytes - env.tmp_used_bytes()
            ),
        }
        env.box.thaw()
        try:
            env.conn.send_bytes(json.dumps(message).encode())
        except OSError:  # the worker ended on its own since its last invocation
            call.failure = _exit_error(call.request_id, None)
            return
        while call.response is None and call.failure is None:
            answer = self._next_message(env, call)
            if answer is not None and "exited" in answer:
                call.failure = self._exit_failure(env, call, answer["exited"])
            elif answer is not None:
                call.response = answer
            elif time.time() >= call.deadline:
                call.failure = _timeout_error(call.fn, call.request_id)
            elif call.sample_rss(env) > env.memory_mb:
                call.failure = _oom_error(call.request_id)
        call.output.drain(env.log_fd)  # the runtime flushed everything before it answered
        call.logs += call.output.take()
        if call.response is not None:
            limit = int(fact("payload.sync_response_bytes").value)
            if "exit" in call.response:
                call.failure = _exit_error(call.request_id, call.response["exit"])
            elif call.response.get("max_mb", 0) > env.memory_mb:
                call.failure = _oom_error(call.request_id)
            elif len(call.response.get("payload", "").encode()) > limit:
                size = len(call.response["payload"].encode())
                call.response = {"ok": False, "error": _too_large_error(size, limit)}

    def _exit_failure(self, env: ExecutionEnvironment, call: _Call, status: int | None) -> dict:
        """Why the runtime process ended: out of memory (the kernel killed it) or its exit."""
        if status is not None and status < 0 and env.box.oom_killed():
            return _oom_error(call.request_id)
        return _exit_error(call.request_id, status)

    def _record(self, env: ExecutionEnvironment, call: _Call, cold: bool) -> Result:
        """Log the invocation to CloudWatch Logs and the lab's list; build the result."""
        response = call.response or {}
        duration = response.get("duration_ms", (time.time() - call.run_start) * 1000)
        # No answer from the worker (timeout, crash): the peak the runtime's poller saw.
        max_mb = response.get("max_mb") or math.ceil(call.peak_mb)
        if call.failure is not None:
            error = {k: v for k, v in call.failure.items() if not k.startswith("_")}
            outcome = call.failure["_outcome"]
            call.logs += call.failure["_log"] + "\n"
            if outcome == "timeout":
                duration = float(call.fn.timeout) * 1000
            if outcome == "out_of_memory":
                max_mb = env.memory_mb  # the limit it hit; Lambda never reports more
        elif response["ok"]:
            error, outcome = None, "success"
        else:
            error, outcome = response["error"], "error"
        invocation = Invocation(
            function=call.fn.function_name,
            version=str(call.fn.version),
            request_id=call.request_id,
            start=call.start,
            duration_ms=round(duration, 2),
            billed_duration_ms=billed_ms(duration + _billed_init_ms(call.fn, call.init_ms)),
            memory_size_mb=env.memory_mb,
            max_memory_used_mb=max_mb,
            cold=cold,
            init_duration_ms=None if call.init_ms is None else round(call.init_ms, 2),
            environment_id=env.id,
            outcome=outcome,
            invocation_type=call.invocation_type,
            error_type=error["errorType"] if error else None,
            initialization_type=env.initialization_type,
        )
        log_text = env.log.write_invocation(invocation, call.logs)
        tracing.send(call.fn, call.trace, invocation, call.run_start, response.get("subsegments"))
        env.invocations += 1
        with self._lock:
            if call.generation == self._generation:  # a reset() meanwhile forgets this call
                self.invocations.append(invocation)
        payload = json.dumps(error) if error else response["payload"]
        return Result(payload.encode(), invocation.error_type, log_text, invocation)

    # -- lifecycle ---------------------------------------------------------------------
    def environments(self) -> list[ExecutionEnvironment]:
        """The execution environments alive right now."""
        with self._lock:
            return list(self._environments)

    def expire_idle(self) -> int:
        """End the environments idle for longer than idle_expiry_s; return how many ended.

        `_acquire` expires them on the next invoke; the lab also calls this on a timer, so a
        learner who stops invoking gets the memory back too.
        """
        now = time.monotonic()
        with self._lock:
            stale = [
                env
                for env in self._environments
                if not env.busy
                and now - env.last_used > self.idle_expiry_s
                and env.initialization_type == "on-demand"  # provisioned ones stay
            ]
            for env in stale:
                self._environments.remove(env)
        for env in stale:
            env.kill()
        return len(stale)

    def reset(self) -> None:
        """End every execution environment, busy ones included, and forget the recorded
        invocations (calls still running are answered with an error and not recorded)."""
        with self._lock:
            envs, self._environments = self._environments, []
            self.invocations.clear()
            self._generation += 1
        for env in envs:
            env.kill()

    def stop(self) -> None:
        """End every environment and the template process, and remove the lab's files."""
        with self._template_lock:
            self.stopped = True
        self.reset()
        self._template.stop()
        self.reset()  # an environment forked while the template stopped
        self.sandbox.close()
        shutil.rmtree(self._root, ignore_errors=True)


def _remove_abandoned_labs(parent: str | None) -> None:
    """Delete the folders of labs whose process died without stop() (a killed kernel, say)."""
    for path in glob.glob(os.path.join(parent or tempfile.gettempdir(), f"{LAB_PREFIX}*-*")):
        pid = os.path.basename(path)[len(LAB_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}") and os.path.isdir("/proc/self"):
            shutil.rmtree(path, ignore_errors=True)


def _lab_dir() -> str | None:
    """Where the lab keeps code and files: outside /tmp when possible, since each environment
    mounts its own /tmp over it (None: the system's temporary folder)."""
    default = os.path.realpath(tempfile.gettempdir())
    if default != "/tmp" and not default.startswith("/tmp/"):
        return None
    return "/var/tmp" if os.access("/var/tmp", os.W_OK) else None


def _billed_init_ms(fn: Any, init_ms: float | None) -> float:
    """The part of a cold start's init that is billed (course.lab.init_billing has the rule)."""
    if init_ms is None or not init_is_billed(
        package_type=fn.package_type or "Zip", runtime=fn.run_time or ""
    ):
        return 0.0
    return init_ms


def _invoked_arn(fn: Any) -> str:
    """The ARN the caller invoked: the alias's when it named one, else the version's."""
    alias_arn = INVOKED_ALIAS_ARN.get()
    if alias_arn and alias_arn.rsplit(":", 1)[0].endswith(f":function:{fn.function_name}"):
        return alias_arn
    version = str(fn.version)
    if version == "$LATEST" or fn.function_arn.endswith(f":{version}"):
        return fn.function_arn
    return f"{fn.function_arn}:{version}"


def _timeout_error(fn: Any, request_id: str, seconds: float | None = None) -> dict:
    text = f"Task timed out after {float(fn.timeout if seconds is None else seconds):.2f} seconds"
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: {text}",
        "_outcome": "timeout",
        "_log": f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())}Z {request_id} {text}",
    }


def _oom_error(request_id: str) -> dict:
    text = "Runtime exited with error: signal: killed"
    return {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {request_id} Error: {text}",
        "_outcome": "out_of_memory",
        "_oom": True,
        "_log": f"RequestId: {request_id} Error: {text}\nRuntime.OutOfMemory",
    }


def _too_large_error(size: int, limit: int) -> dict:
    return {
        "errorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed payload "
        f"size ({limit} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def _exit_error(request_id: str, code: int | None) -> dict:
    """Runtime.ExitError as AWS words it: an exit status, or the signal that ended it."""
    if code is None:
        text = "Runtime exited without providing a reason"
    elif code < 0:
        name = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault"}.get(-code)
        text = f"Runtime exited with error: signal: {name or signal.Signals(-code).name}"
    else:
        text = f"Runtime exited with error: exit status {code}"
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: {text}",
        "_outcome": "exit",
        "_log": f"RequestId: {request_id} Error: {text}\nRuntime.ExitError",
    }

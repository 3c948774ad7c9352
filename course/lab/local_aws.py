"""The course's local AWS: moto on 127.0.0.1 plus a Lambda runtime that really runs handlers.

    import course.lab
    lab = course.lab.start()          # idempotent; plain boto3 clients now talk to the lab
    lab.deploy("hello", "def handler(event, context):\\n    return 'hi'\\n")
    boto3.client("lambda").invoke(FunctionName="hello")

Every invocation (client Invoke, S3/SNS/SQS/DynamoDB triggers, destinations) runs in an
isolated worker process with AWS's limits, logs and error shapes. See `Lab` for the API.
"""

from __future__ import annotations

import atexit
import base64
import io
import json
import logging
import os
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from course.facts import fact
from course.lab import environment_encryption, function_urls, triggers, vpc
from course.lab.api_errors import lambda_error
from course.lab.async_invocation import EventQueue, current_hop
from course.lab.iam import denial_log
from course.lab.invocation import Invocation
from course.lab.runtime import IDLE_EXPIRY_S, ExecutionEnvironment, Runtime, TooManyRequests
from course.lab.worker import HOP_HEADER

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account: every ARN in the lab has it
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
REQUEST_ID_HEADER = "x-amzn-requestid"  # how moto's server spells x-amzn-RequestId
REAP_EVERY_S = 30.0  # how often idle environments are looked for when nobody invokes
IDLE_EXPIRY_VARIABLE = "LAMBDA_COURSE_IDLE_EXPIRY_S"  # a classroom host may set a shorter one
_ENV_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN")
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

_lab: Lab | None = None
_start_lock = threading.Lock()


class Lab:
    """A running lab: the moto server, the Lambda runtime and the async event queue."""

    def __init__(self, account_concurrency: int | None = None, enforce_iam: bool = True):
        from moto.server import ThreadedMotoServer

        from course.lab.iam import enforcement

        idle_expiry_s = _idle_expiry_from_env(os.environ.get(IDLE_EXPIRY_VARIABLE))
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        _install_patches()
        _install_control_plane()  # before the server answers its first Lambda request
        self.iam = enforcement.Gate(enforce=enforce_iam)  # IAM for handlers and lab identities
        enforcement.install(self.iam)

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._saved_env = {k: os.environ.get(k) for k in (*_ENV, *_ENV_CLEARED, "AWS_ENDPOINT_URL")}
        for name in _ENV_CLEARED:
            os.environ.pop(name, None)
        os.environ.update(_ENV, AWS_ENDPOINT_URL=self.endpoint_url)
        _forget_default_session()
        limit = account_concurrency or int(fact("concurrency.account_default").value)
        self.runtime = Runtime(self.endpoint_url, dict(os.environ), limit)
        self.runtime.idle_expiry_s = idle_expiry_s
        _control_plane_limit(limit)
        self.events = EventQueue(self.runtime.run, self._client)
        self._clients: dict[tuple[str, str], Any] = {}
        self._client_lock = threading.Lock()
        self.stopped = False
        # Trigger families (course.lab.triggers) register what the lab must close on stop().
        self._clock_s = float(int(time.time()))  # the lab clock: moves only with advance_time
        self.on_stop: list[Callable[[], None]] = []
        # Background pollers (course.lab.triggers.event_source_mappings) that wait() drains and
        # reset() clears: each has wait(timeout) -> bool, a work_done count and reset().
        self.background: list[Any] = []
        triggers.install(self)
        environment_encryption.install(self)
        function_urls.install(self)
        vpc.install(self)
        denial_log.install(self)
        self._reaper_wake = threading.Event()
        threading.Thread(target=self._reap_idle, name="idle-expiry", daemon=True).start()

    # -- knobs -------------------------------------------------------------------------
    @property
    def account_concurrency(self) -> int:
        """The account's concurrent executions limit (default from the facts file)."""
        return self.runtime.account_concurrency

    @account_concurrency.setter
    def account_concurrency(self, value: int) -> None:
        self.runtime.account_concurrency = int(value)
        _control_plane_limit(int(value))

    @property
    def enforce_iam(self) -> bool:
        """Whether handlers' and IAM users' calls are authorised against their policies."""
        return self.iam.enforce

    @enforce_iam.setter
    def enforce_iam(self, value: bool) -> None:
        self.iam.enforce = bool(value)

    @property
    def idle_expiry_s(self) -> float:
        """Seconds an environment may stay idle before it is ended (next call is cold)."""
        return self.runtime.idle_expiry_s

    @idle_expiry_s.setter
    def idle_expiry_s(self, value: float) -> None:
        self.runtime.idle_expiry_s = float(value)
        self._reaper_wake.set()  # a shorter expiry takes effect now, not after the old wait

    def _reap_idle(self) -> None:
        """End idle environments on a timer, not only on the next invoke (frees their memory)."""
        while not self.stopped:
            self._reaper_wake.wait(max(0.05, min(REAP_EVERY_S, self.runtime.idle_expiry_s)))
            self._reaper_wake.clear()
            if not self.stopped:
                self.runtime.expire_idle()

    @property
    def invocations(self) -> list[Invocation]:
        """Every invocation so far, in the order they finished."""
        return list(self.runtime.invocations)

    def environments(self) -> list[ExecutionEnvironment]:
        """The execution environments alive right now (warm or busy)."""
        return self.runtime.environments()

    @property
    def isolation(self) -> str:
        """How handlers are boxed in: "namespaces+cgroups", "namespaces" or "rlimits"."""
        return self.runtime.sandbox.level

    @property
    def dropped_events(self) -> list[dict]:
        """Async events that reached no destination, each with the reason."""
        return list(self.events.dropped)

    # -- deploying -----------------------------------------------------------------------
    def deploy(
        self,
        name: str,
        source: str | Path,
        handler: str = "app.handler",
        memory_mb: int | None = None,
        timeout_s: int | None = None,
        env: dict[str, str] | None = None,
        role: str | None = None,
        runtime: str = f"python{sys.version_info.major}.{sys.version_info.minor}",
        **extra: Any,
    ) -> dict:
        """Zip `source` and create (or update) function `name`; return its configuration.

        `source` is handler code as a string, a .py file or a folder. The runtime defaults to
        the Python running the lab, since that is the interpreter the handler really runs on.
        """
        client = self._client("lambda", REGION)
        code = zip_source(source, handler)
        settings = {
            "Handler": handler,
            "Runtime": runtime,
            "MemorySize": int(fact("memory.default_mb").value) if memory_mb is None else memory_mb,
            "Timeout": int(fact("timeout.default_s").value) if timeout_s is None else timeout_s,
            "Environment": {"Variables": env or {}},
            **extra,
        }
        try:
            client.get_function(FunctionName=name)
        except client.exceptions.ResourceNotFoundException:
            role = role or self.execution_role(f"{name}-role")
            return _clean(
                client.create_function(
                    FunctionName=name, Role=role, Code={"ZipFile": code}, **settings
                )
            )
        client.update_function_configuration(FunctionName=name, **settings)
        return _clean(client.update_function_code(FunctionName=name, ZipFile=code))

    def update_code(self, name: str, source: str | Path, handler: str = "app.handler") -> dict:
        """Replace the code of function `name`; the next invoke is a cold start."""
        client = self._client("lambda", REGION)
        return _clean(
            client.update_function_code(FunctionName=name, ZipFile=zip_source(source, handler))
        )

    def handler_source(self, name: str) -> str:
        """The code of function `name`'s handler module, read from the lab's copy of its zip.

        Raises KeyError (ResourceNotFoundException) when there is no such function or module.
        """
        from moto.awslambda.models import lambda_backends

        try:
            fn = lambda_backends[ACCOUNT_ID][REGION].get_function(name)
        except Exception:  # noqa: BLE001 - moto's UnknownFunctionException and friends
            raise KeyError(f"ResourceNotFoundException: Function not found: {name}") from None
        module = fn.handler.rpartition(".")[0].replace(".", "/") + ".py"
        try:
            with zipfile.ZipFile(io.BytesIO(fn.code_bytes or b"")) as archive:
                return archive.read(module).decode("utf-8")
        except (KeyError, zipfile.BadZipFile):
            raise KeyError(
                f"ResourceNotFoundException: function {name} has no module {module} "
                f"(its Handler is {fn.handler})."
            ) from None

    def execution_role(self, name: str, policy: dict | None = None) -> str:
        """Create (or reuse) an IAM role Lambda can assume; return its ARN."""
        iam = self._client("iam", REGION)
        try:
            arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_POLICY)["Role"][
                "Arn"
            ]
        if policy is not None:
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy)
            )
        return arn

    # -- IAM: why a call was denied, and the policy a function needs ----------------------
    def explain_denial(self, function_name: str | None = None, index: int = -1) -> str:
        """Which statements were evaluated for a denied call and what is missing.

        The last denial by default; `function_name` keeps only that function's calls.
        """
        from course.lab.iam import access_analyzer

        records = access_analyzer.matching(self.iam.records, function_name)
        return access_analyzer.explain(records, index)

    def least_privilege_policy(self, function_name: str) -> dict:
        """The smallest policy covering every call function `function_name` made (or tried)."""
        from course.lab.iam import access_analyzer

        role = self._client("lambda", REGION).get_function(FunctionName=function_name)
        role_arn = role["Configuration"]["Role"]
        records = access_analyzer.matching(self.iam.records, function_name, role_arn)
        return access_analyzer.least_privilege_policy(records)

    def function_url(self, function_name: str) -> str:
        """The lab's http://127.0.0.1 address of the function's URL (create_function_url_config)."""
        return function_urls.function_url(self, function_name, REGION)

    # -- the lab clock (EventBridge schedules) and API Gateway ---------------------------
    def clock_s(self) -> float:
        """The lab clock in epoch seconds; it starts at the lab's start and moves only on demand."""
        return self._clock_s

    def set_clock_s(self, epoch_s: float) -> None:
        """Move the lab clock forward to `epoch_s` (used while firing schedules)."""
        self._clock_s = max(self._clock_s, float(epoch_s))

    def now(self) -> datetime:
        """The lab clock as a UTC datetime."""
        return datetime.fromtimestamp(self._clock_s, UTC)

    def advance_time(self, seconds: float) -> list[dict]:
        """Move the lab clock on, firing every EventBridge schedule due meanwhile, in order.

        Waits for the work each firing causes; returns the scheduled events sent.
        """
        from course.lab.triggers import eventbridge

        return eventbridge.advance(self, seconds)

    def api_url(self, rest_api_id: str, stage: str) -> str:
        """The base URL (on 127.0.0.1) where the lab serves stage `stage` of a REST API."""
        from course.lab.triggers import apigateway

        return apigateway.stage_url(self, rest_api_id, stage)

    # -- lifecycle -----------------------------------------------------------------------
    def wait(self, timeout: float | None = 60) -> None:
        """Block until async invokes, retries, deliveries and pollers' batches are all finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        since = len(self.runtime.invocations)
        while True:  # a poller's batch can queue async events and the other way round
            done = sum(worker.work_done for worker in self.background)
            for worker in (self.events, *self.background):
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not worker.wait(left):
                    raise TimeoutError(self._still_pending(timeout, since))
            if self.events.wait(0) and done == sum(w.work_done for w in self.background):
                return

    def _still_pending(self, timeout: float | None, since: int) -> str:
        """Why wait() gave up: the work left, what failed meanwhile and what would end it."""
        ran = self.runtime.invocations[since:]
        lines = [f"Background Lambda work still running after {timeout} s:"]
        for name, count in sorted(self.events.pending().items()):
            lines.append(
                f"- {count} async event(s) for function {name} are queued, running or waiting "
                "for a retry."
            )
        for mapping in _event_source_mappings():
            if mapping.enabled:
                line = self._mapping_pending(mapping, {i.function for i in ran})
                if line:
                    lines.append(line)
        for name in sorted({i.function for i in ran}):
            failed = [i for i in ran if i.function == name and i.outcome != "success"]
            if failed:
                lines.append(
                    f"- While waiting, function {name} failed {len(failed)} of its "
                    f"{sum(i.function == name for i in ran)} invocation(s) "
                    f"(last error: {failed[-1].error_type})."
                )
        if len(lines) == 1:
            lines.append("- a trigger is still delivering events; try again with a longer timeout.")
        return "\n".join(lines)

    def _mapping_pending(self, mapping: Any, ran: set[str]) -> str | None:
        """One line on an event source mapping that still has work, or None."""
        arn, function = mapping.event_source_arn, mapping.function_arn.split(":")[6]
        service, region, account, source = arn.split(":")[2:6]
        if service != "sqs":
            if function not in ran:
                return None
            retries = mapping.max_retry_attempts
            if retries is None:
                retries = fact("esm.streams.max_retry_attempts_default").value
            kind = {"dynamodb": "DynamoDB", "kinesis": "Kinesis"}.get(service, service)
            return (
                f"- The {kind} stream {arn} is still feeding function {function} "
                f"(event source mapping {mapping.uuid}). A failed batch is retried until it "
                f"succeeds or its records expire (MaximumRetryAttempts {retries}; -1 means until "
                "they expire): fix the handler, set MaximumRetryAttempts or an OnFailure "
                "destination on the mapping, or delete the mapping."
            )
        sqs = self._client("sqs", region)
        url = sqs.get_queue_url(QueueName=source, QueueOwnerAWSAccountId=account)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        waiting = int(attributes["ApproximateNumberOfMessages"])
        in_flight = int(attributes["ApproximateNumberOfMessagesNotVisible"])
        if waiting + in_flight == 0:
            return None
        line = (
            f"- SQS queue {source} still holds {waiting + in_flight} message(s) for function "
            f"{function} ({waiting} visible, {in_flight} in flight; event source mapping "
            f"{mapping.uuid})."
        )
        if "RedrivePolicy" not in attributes:
            line += (
                " The queue has no redrive policy, so a message whose batch fails comes back "
                f"after the visibility timeout ({attributes['VisibilityTimeout']} s) and is "
                "retried forever: fix the handler, give the queue a RedrivePolicy (a "
                "dead-letter queue and maxReceiveCount), or delete the mapping."
            )
        return line

    def reset(self) -> None:
        """Wipe all AWS state in moto and end every execution environment."""
        from moto.moto_api._internal.models import moto_api_backend

        for worker in self.background:  # first, so a batch failing forever cannot block
            worker.reset()
        self.events.cancel()  # queued and retrying async events are forgotten, not run
        self.runtime.reset()  # ends running invocations too; they are not recorded
        self.wait(timeout=10)
        self.events.dropped.clear()
        self.events.delivered.clear()
        self.iam.reset()
        moto_api_backend.reset()

    def stop(self) -> None:
        """End the server and every worker, and restore the caller's environment variables."""
        global _lab
        if self.stopped:
            return
        self.stopped = True
        self._reaper_wake.set()
        for close in reversed(self.on_stop):  # servers and threads started by trigger families
            close()
        self.events.stop()  # queued events are recorded as dropped: "lab stopped"
        self.runtime.stop()
        self.events.join()  # running ones finish or are recorded too
        self._server.stop()
        from course.lab.iam import enforcement

        enforcement.uninstall(self.iam)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _forget_default_session()
        if _lab is self:
            _lab = None

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _client(self, service: str, region: str) -> Any:
        """A boto3 client of the lab itself (for destinations and deploy)."""
        import boto3

        with self._client_lock:
            key = (service, region)
            if key not in self._clients:
                client = boto3.session.Session().client(
                    service,
                    region_name=region,
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                )
                client.meta.events.register("before-send", _send_hop)
                self._clients[key] = client
            return self._clients[key]


def _idle_expiry_from_env(text: str | None) -> float:
    """The idle expiry set in IDLE_EXPIRY_VARIABLE, in seconds; IDLE_EXPIRY_S when unset."""
    if not text:
        return IDLE_EXPIRY_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(
            f"InvalidParameterValueException: {IDLE_EXPIRY_VARIABLE} must be a positive number "
            f"of seconds, not {text!r}."
        )
    return value


def start(account_concurrency: int | None = None, enforce_iam: bool | None = None) -> Lab:
    """Start the lab (or return the running one): moto on 127.0.0.1 with real Lambda runs.

    IAM is enforced for handlers and IAM users unless `enforce_iam=False`; on a running lab,
    None keeps its current setting.
    """
    global _lab
    with _start_lock:
        if _lab is None or _lab.stopped:
            _lab = Lab(account_concurrency, enforce_iam=enforce_iam is not False)
            atexit.register(_lab.stop)
            sentence = _lab.runtime.sandbox.degraded_sentence()
            if sentence:
                print(sentence)
        else:
            if account_concurrency is not None:
                _lab.account_concurrency = account_concurrency
            if enforce_iam is not None:
                _lab.enforce_iam = enforce_iam
        return _lab


def running() -> Lab | None:
    """The running lab, if any."""
    return _lab


def zip_source(source: str | Path, handler: str = "app.handler") -> bytes:
    """Zip a code string (saved as the handler's module), a .py file or a folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        path = Path(source) if isinstance(source, Path) or "\n" not in str(source) else None
        if path is not None and path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts:
                    archive.write(file, file.relative_to(path).as_posix())
        elif path is not None and path.is_file():
            archive.write(path, path.name)
        else:
            module = handler.rpartition(".")[0].replace(".", "/") or "app"
            archive.writestr(f"{module}.py", str(source))
    return buffer.getvalue()


def _event_source_mappings() -> list[Any]:
    """Every event source mapping in moto, in every account and region."""
    from moto.awslambda.models import lambda_backends

    return [
        mapping
        for regions in list(lambda_backends.values())
        for backend in list(regions.values())
        for mapping in backend.list_event_source_mappings("", "")
    ]


def _forget_default_session() -> None:
    """Drop boto3's default session, which caches credentials: new clients read the env."""
    import boto3

    boto3.DEFAULT_SESSION = None


def _clean(response: dict) -> dict:
    response.pop("ResponseMetadata", None)
    return response


def _send_hop(request: Any, **_: Any) -> None:
    hop = current_hop()
    if hop is not None:
        request.headers[HOP_HEADER] = str(hop)


# -- the patches into moto ---------------------------------------------------------------
_installed = False


def _install_control_plane() -> None:
    """Validation of create/update lives in course.control_plane (written by another helper)."""
    try:
        from course.lab import control_plane
    except ImportError:  # CONTROL-PLANE CALL SITE: the module is not there yet
        return
    control_plane.install()


def _control_plane_limit(limit: int) -> None:
    """Keep course.control_plane's PutFunctionConcurrency check on the same account limit."""
    try:
        from course.lab import control_plane
    except ImportError:
        return
    control_plane.set_account_concurrency(limit)


def _incoming_hop() -> int:
    """Hops already taken by the request that causes this invocation (0 for learner calls)."""
    hop = current_hop()
    if hop is not None:
        return hop
    try:
        import flask

        if flask.has_request_context():
            return int(flask.request.headers.get(HOP_HEADER, 0))
    except (ImportError, ValueError):
        pass
    return 0


_lambda_error = lambda_error  # the lab's own errors use the shared helper


def _mb_bytes(fact_id: str) -> int:
    return int(fact(fact_id).value) * 1024 * 1024


def _function_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """Replacement for moto's LambdaFunction.invoke: real runs with AWS's semantics."""
    lab = _lab
    headers = {k.lower(): v for k, v in dict(request_headers or {}).items()}
    api_call = bool(headers)
    kind = headers.get("x-amz-invocation-type", "RequestResponse")
    event = body.decode() if isinstance(body, bytes) else (body or "")
    event = event or "{}"
    size = len(event.encode())
    limit_id = "payload.async_mb" if kind == "Event" else "payload.sync_request_mb"
    limit = _mb_bytes(limit_id)
    if size > limit:  # AWS's words (error code RequestEntityTooLargeException), then the fact
        aws_words = (
            f"{size} byte payload is too large for the Event invocation type (limit {limit} bytes)"
            if kind == "Event"
            else f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        )
        raise _lambda_error(
            413,
            "RequestEntityTooLargeException",
            f"{aws_words} ({fact(limit_id)}: {limit_id} in the course facts file; "
            f"this request is {size:,} bytes).",
        )
    try:
        json.loads(event)
    except ValueError as exc:
        raise _lambda_error(
            400, "InvalidRequestContentException", f"Could not parse request body into json: {exc}"
        ) from None
    if kind == "DryRun":
        return b""
    request_id = str(uuid.uuid4())  # AWS returns it as x-amzn-RequestId; logs and DLQ reuse it
    hop = _incoming_hop() + 1
    max_hops = int(fact("invoke.recursion_max_hops").value)
    if hop > max_hops:
        reason = (
            f"Recursive loop stopped: invocation {hop} of {fn.function_name} in one chain is "
            f"over the limit of {max_hops} (invoke.recursion_max_hops in the facts file)."
        )
        lab.events.drop(fn, event, request_id, reason)
        if api_call and kind != "Event":
            raise _lambda_error(400, "RecursiveInvocationException", reason)
        response_headers[REQUEST_ID_HEADER] = request_id
        return b""
    if kind == "Event":
        response_headers[REQUEST_ID_HEADER] = lab.events.submit(fn, event, hop)
        return b""
    client_context = None
    if headers.get("x-amz-client-context"):
        client_context = json.loads(base64.b64decode(headers["x-amz-client-context"]))
    try:
        result = lab.runtime.run(
            fn, event, client_context=client_context, hop=hop, request_id=request_id
        )
    except TooManyRequests as exc:
        if not api_call:
            lab.events.drop(fn, event, request_id, f"Throttled: {exc}")
            return b""
        raise _lambda_error(429, "TooManyRequestsException", str(exc), Reason=exc.reason) from None
    response_headers[REQUEST_ID_HEADER] = request_id
    response_headers["X-Amz-Executed-Version"] = str(fn.version)
    payload = result.payload  # a response over the size limit is already an error
    if result.error_type:
        response_headers["x-amz-function-error"] = "Unhandled"
    tail = result.log_text.encode()[-int(fact("invoke.log_tail_kb").value) * 1024 :]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    return payload


def _invoke_lambda(fn: Any, event: Any = None) -> tuple[str, bool, str]:
    """Replacement for moto's Docker path, for any caller that reaches it directly."""
    text = event if isinstance(event, str) else json.dumps(event or {})
    result = _lab.runtime.run(fn, text, hop=_incoming_hop() + 1)
    return result.payload.decode(), result.error_type is not None, result.log_text


def _response_invoke(self: Any) -> tuple[int, dict[str, str], str | bytes]:
    """Replacement for moto's LambdaResponse.invoke: honours the Qualifier query parameter."""
    response_headers: dict[str, str] = {}
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    payload = self.backend.invoke(
        function_name, qualifier, self.body, self.headers, response_headers
    )
    kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    status = {"Event": 202, "DryRun": 204}.get(kind, 200)
    if status != 200 or self.headers.get("X-Amz-Log-Type") != "Tail":
        response_headers.pop("x-amz-log-result", None)
    response_headers["content-type"] = "application/json"
    response_headers["status"] = str(status)
    return status, response_headers, payload


def _response_invoke_async(self: Any) -> tuple[int, dict[str, str], bytes]:
    """Replacement for moto's legacy InvokeAsync: queue the event like InvocationType=Event."""
    function_name = unquote(self.path.rstrip("/").rsplit("/", 2)[-2])
    fn = self.backend.get_function(function_name, None)
    headers = {**dict(self.headers), "X-Amz-Invocation-Type": "Event"}
    response_headers: dict[str, str] = {"status": "202", "Content-Length": "0"}
    fn.invoke(self.body, headers, response_headers)
    return 202, response_headers, b""


def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
    """Replacement for moto's request id stamping: an invoke keeps its invocation's id."""
    from moto.core.responses import BaseResponse

    request_id = headers.get(REQUEST_ID_HEADER)
    headers, body = BaseResponse._enrich_response(headers, body)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return headers, body


def _install_patches() -> None:
    """Plug the runtime into moto (idempotent): every invocation path ends up here."""
    global _installed
    if _installed:
        return
    from moto.awslambda import models, responses
    from moto.utilities.aws_headers import amz_crc32

    models.LambdaFunction.invoke = _function_invoke
    models.LambdaFunction._invoke_lambda = _invoke_lambda
    responses.LambdaResponse.invoke = amz_crc32(_response_invoke)
    responses.LambdaResponse.invoke_async = amz_crc32(_response_invoke_async)
    responses.LambdaResponse._enrich_response = staticmethod(_enrich_response)

    original_create = models.LambdaBackend.create_function
    original_update = models.LambdaBackend.update_function_configuration
    original_config = models.LambdaFunction.get_configuration

    def create_function(self: Any, spec: dict) -> Any:
        fn = original_create(self, spec)
        if spec.get("DeadLetterConfig", {}).get("TargetArn"):
            dlq = dict(spec["DeadLetterConfig"])
            fn.dead_letter_config = dlq
            self.get_function(fn.function_name).dead_letter_config = dlq
        return fn

    def update_function_configuration(self: Any, name: str, qualifier: Any, body: dict) -> Any:
        if "DeadLetterConfig" in body:
            target = (body["DeadLetterConfig"] or {}).get("TargetArn")
            self.get_function(name, qualifier).dead_letter_config = (
                {"TargetArn": target} if target else None
            )
        return original_update(self, name, qualifier, body)

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict:
        config = original_config(self, *args, **kwargs)
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = dict(self.dead_letter_config)
        return config

    models.LambdaBackend.create_function = create_function
    models.LambdaBackend.update_function_configuration = update_function_configuration
    models.LambdaFunction.get_configuration = get_configuration
    from course.lab import (
        alias_routing,
        edge,
        layers,
        logging_config,
        provisioned_concurrency,
        tracing,
    )

    alias_routing.install()  # an alias's RoutingConfig weights pick the version that runs
    provisioned_concurrency.install(running)
    layers.install()
    logging_config.install()
    tracing.install()
    edge.install()
    _installed = True

"""Asynchronous invocation: Lambda's event queue, retries, destinations and dead-letter queue.

`InvocationType=Event` returns 202 at once; the event then runs in the background. A failed
event is retried (`MaximumRetryAttempts`, default from the facts file), and an event older
than `MaximumEventAgeInSeconds` is not run again. Results go to the OnSuccess / OnFailure
destinations and the DeadLetterConfig target. Nothing is lost: an event that reaches none
of them is recorded in `dropped` with the reason.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from course.facts import fact
from course.lab.runtime import Result, TooManyRequests

_hop = threading.local()


def current_hop() -> int | None:
    """The hop count of the async event this thread is running (None outside one)."""
    return getattr(_hop, "value", None)


class EventQueue:
    """Background runner for async events, with retries and where results go."""

    def __init__(self, run: Callable[..., Result], client: Callable[[str, str], Any]):
        self._run = run
        self._client = client
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="lambda-async")
        self._pending: Counter[str] = Counter()  # unfinished events per function name
        self._idle = threading.Condition()
        # The lab's choice: retries come sooner than on AWS, which waits 1 min, then 2 min,
        # so lessons need not wait. Throttled events are retried, as on AWS, until their
        # maximum event age; the lab backs off from the first to the last of these delays.
        self.retry_delays_s: tuple[float, ...] = (0.05, 0.1)
        self.throttle_delays_s: tuple[float, float] = (0.05, 1.0)
        self.dropped: list[dict] = []
        self.delivered: list[dict] = []
        self._generation = 0  # cancel() moves it on: events of an older one end quietly
        self._stopping = threading.Event()
        self._wake = threading.Event()  # set to cut retry waits short (cancel or stop)

    def submit(self, fn: Any, event: str, hop: int) -> str:
        """Queue one event for `fn`; return its request id (runs in the background)."""
        request_id = str(uuid.uuid4())
        if self._stopping.is_set():
            self.drop(fn, event, request_id, "lab stopped")
            return request_id
        with self._idle:
            self._pending[fn.function_name] += 1
            generation = self._generation
        try:
            # The caller's context (the alias it invoked) goes with the event to the pool.
            self._pool.submit(
                contextvars.copy_context().run,
                self._process,
                fn,
                event,
                hop,
                request_id,
                time.time(),
                generation,
            )
        except RuntimeError:  # the pool shut down meanwhile
            self._finish(fn)
            self.drop(fn, event, request_id, "lab stopped")
        return request_id

    def drop(self, fn: Any, event: str, request_id: str, reason: str) -> None:
        """Record an event that reached no destination, with why."""
        self.dropped.append(
            {
                "function": fn.function_name,
                "requestId": request_id,
                "reason": reason,
                "event": event,
                "time": time.time(),
            }
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued event is finished; False if `timeout` s passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._pending, timeout)

    def pending(self) -> dict[str, int]:
        """Events queued, running or waiting for a retry, per function name."""
        with self._idle:
            return dict(self._pending)

    def cancel(self) -> None:
        """Forget every queued or retrying event (for reset()): none of them runs again."""
        with self._idle:
            self._generation += 1
        self._wake.set()

    def stop(self) -> None:
        """Stop: an event not finished yet is recorded in `dropped` as "lab stopped"."""
        self._stopping.set()
        self._wake.set()
        self._pool.shutdown(wait=False)

    def join(self, timeout: float = 30) -> None:
        """Wait for the events still running when stop() was called to be recorded."""
        self.wait(timeout)

    def _stale(self, generation: int) -> bool:
        return generation != self._generation

    def _sleep(self, seconds: float) -> None:
        """Wait before a retry, cut short by cancel() or stop()."""
        self._wake.wait(seconds)
        if not self._stopping.is_set():
            with self._idle:
                self._wake.clear()

    def _finish(self, fn: Any) -> None:
        with self._idle:
            self._pending[fn.function_name] -= 1
            if not self._pending[fn.function_name]:
                del self._pending[fn.function_name]
            self._idle.notify_all()

    # -- the lifecycle of one event --------------------------------------------------
    def _process(
        self, fn: Any, event: str, hop: int, request_id: str, received: float, generation: int
    ) -> None:
        _hop.value = hop
        try:
            if self._stale(generation):
                return
            if self._stopping.is_set():
                self.drop(fn, event, request_id, "lab stopped")
                return
            self._attempts(fn, event, hop, request_id, received, generation)
        except Exception as exc:  # noqa: BLE001 - an event must never vanish silently
            if not self._stale(generation):
                reason = (
                    "lab stopped" if self._stopping.is_set() else f"{type(exc).__name__}: {exc}"
                )
                self.drop(fn, event, request_id, reason)
        finally:
            _hop.value = None
            self._finish(fn)

    def _attempts(
        self, fn: Any, event: str, hop: int, request_id: str, received: float, generation: int
    ) -> None:
        config = _event_invoke_config(fn)
        retries = int(config.get("MaximumRetryAttempts", fact("async.max_retry_attempts").value))
        max_age = float(config.get("MaximumEventAgeInSeconds", fact("async.max_event_age_s").value))
        attempt, result, condition = 0, None, "RetriesExhausted"
        throttle_delay = self.throttle_delays_s[0]
        while attempt <= retries:
            if self._stale(generation):
                return
            if self._stopping.is_set():
                self.drop(fn, event, request_id, "lab stopped")
                return
            if time.time() - received > max_age:
                condition = "EventAgeExceeded"
                break
            try:
                result = self._run(
                    fn,
                    event,
                    invocation_type="Event",
                    hop=hop,
                    request_id=request_id,
                    cancelled=lambda: self._stale(generation),
                )
            except TooManyRequests:  # retried with back-off until the event is too old
                self._sleep(throttle_delay)
                throttle_delay = min(throttle_delay * 2, self.throttle_delays_s[1])
                continue
            attempt += 1
            if self._stale(generation):
                return
            if result.error_type is None:
                self._success(fn, event, request_id, result, attempt)
                return
            if self._stopping.is_set():
                self.drop(fn, event, request_id, "lab stopped")
                return
            if attempt <= retries:
                self._sleep(self.retry_delays_s[min(attempt - 1, len(self.retry_delays_s) - 1)])
        self._failure(fn, event, request_id, result, attempt, condition)

    def _success(self, fn: Any, event: str, request_id: str, result: Result, count: int) -> None:
        target = config_destination(fn, "OnSuccess")
        if target:
            record = _record(fn, event, request_id, result, count, "Success")
            self._send(target, record, fn, event, request_id)

    def _failure(
        self, fn: Any, event: str, request_id: str, result: Result | None, count: int, cond: str
    ) -> None:
        target = config_destination(fn, "OnFailure")
        if target:
            record = _record(fn, event, request_id, result, count, cond)
            self._send(target, record, fn, event, request_id)
        dlq = (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn")
        if dlq:
            self._send_dlq(dlq, fn, event, request_id, result)
        if not target and not dlq:  # a failed delivery is already recorded, with its cause
            error = result.error_type if result else "no attempt ran"
            self.drop(
                fn,
                event,
                request_id,
                f"{cond} after {count} attempt(s) (last error: {error}); the function has "
                "no OnFailure destination or dead-letter queue.",
            )

    def _send(self, arn: str, record: dict, fn: Any, event: str, request_id: str) -> bool:
        body = json.dumps(record)
        service, region = arn.split(":")[2], arn.split(":")[3]
        try:
            client = self._client(service, region)
            if service == "sqs":
                client.send_message(QueueUrl=_queue_url(client, arn), MessageBody=body)
            elif service == "sns":
                client.publish(TopicArn=arn, Message=body)
            elif service == "lambda":
                client.invoke(FunctionName=arn, InvocationType="Event", Payload=body)
            elif service == "events":
                client.put_events(
                    Entries=[
                        {
                            "EventBusName": arn,
                            "Source": "lambda",
                            "DetailType": "Lambda Function Invocation Result - "
                            + (
                                "Success"
                                if record["requestContext"]["condition"] == "Success"
                                else "Failure"
                            ),
                            "Detail": body,
                            "Resources": [fn.function_arn],
                        }
                    ]
                )
            else:
                raise ValueError(f"destination type {service} is not supported by the lab")
        except Exception as exc:  # noqa: BLE001 - recorded, never lost
            self.drop(fn, event, request_id, f"Delivery to {arn} failed: {exc}")
            return False
        self.delivered.append({"target": arn, "requestId": request_id, "record": record})
        return True

    def _send_dlq(self, arn: str, fn: Any, event: str, request_id: str, result: Any) -> bool:
        error = json.loads(result.payload) if result and result.error_type else {}
        attributes = {
            "RequestID": request_id,
            "ErrorCode": "200",
            "ErrorMessage": _first_kb(str(error.get("errorMessage", "event expired"))),
        }
        service, region = arn.split(":")[2], arn.split(":")[3]
        try:
            client = self._client(service, region)
            if service == "sqs":
                client.send_message(
                    QueueUrl=_queue_url(client, arn),
                    MessageBody=event,
                    MessageAttributes={
                        k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
                    },
                )
            else:
                client.publish(
                    TopicArn=arn,
                    Message=event,
                    MessageAttributes={
                        k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
                    },
                )
        except Exception as exc:  # noqa: BLE001 - recorded, never lost
            self.drop(fn, event, request_id, f"Delivery to dead-letter queue {arn} failed: {exc}")
            return False
        self.delivered.append({"target": arn, "requestId": request_id, "record": event})
        return True


def _event_invoke_config(fn: Any) -> dict:
    from moto.awslambda.models import lambda_backends

    latest = lambda_backends[fn.account_id][fn.region].get_function(fn.function_name)
    configs = getattr(fn, "event_invoke_config", None) or latest.event_invoke_config
    return configs[0].config if configs else {}


def config_destination(fn: Any, which: str) -> str | None:
    """The ARN of the function's OnSuccess or OnFailure destination, if any."""
    destination = _event_invoke_config(fn).get("DestinationConfig", {}).get(which, {})
    return destination.get("Destination")


def _queue_url(client: Any, arn: str) -> str:
    account, name = arn.split(":")[4], arn.split(":")[5]
    return client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def _record(
    fn: Any, event: str, request_id: str, result: Result | None, count: int, condition: str
) -> dict:
    """An invocation record shaped like the one AWS sends to destinations."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": _qualified_arn(fn),
            "condition": condition,
            "approximateInvokeCount": count,
        },
        "requestPayload": json.loads(event),
        "responseContext": {"statusCode": 200, "executedVersion": str(fn.version)},
        "responsePayload": None,
    }
    if result is not None:
        record["responsePayload"] = json.loads(result.payload)
        if result.error_type:
            record["responseContext"]["functionError"] = "Unhandled"
    return record


def _qualified_arn(fn: Any) -> str:
    version = str(fn.version)
    arn = fn.function_arn
    return arn if arn.endswith(f":{version}") else f"{arn}:{version}"


def _first_kb(message: str) -> str:
    """The first KB of an error message, as a dead-letter message's ErrorMessage carries it."""
    limit = int(fact("async.dlq_error_message_kb").value) * 1024
    return message.encode()[:limit].decode(errors="ignore")

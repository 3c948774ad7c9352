"""Nothing is lost: async events at stop(), throttled events, logs before a crash, floods."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from course.lab.logs import OUTPUT_BUDGET_BYTES, max_message_bytes
from tests.lab.conftest import ZOO, invoke, run_own_lab


def test_stop_accounts_for_every_queued_async_event():
    run = run_own_lab(
        f"""
        import json, boto3
        import course.lab
        lab = course.lab.start()
        lam, sqs = boto3.client("lambda"), boto3.client("sqs")
        arns = {{}}
        for name in ("ok", "failed"):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arns[name] = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lab.deploy("mixed", {str(ZOO)!r}, handler="hostile.sleep", timeout_s=1,
                   DeadLetterConfig={{"TargetArn": arns["failed"]}})
        lam.put_function_event_invoke_config(
            FunctionName="mixed", MaximumRetryAttempts=1,
            DestinationConfig={{"OnSuccess": {{"Destination": arns["ok"]}}}})
        lam.put_function_concurrency(FunctionName="mixed", ReservedConcurrentExecutions=3)
        ids = [lam.invoke(FunctionName="mixed", InvocationType="Event",
                          Payload=json.dumps({{"s": 0.2 if i % 2 else 5}}).encode()
                          )["ResponseMetadata"]["RequestId"] for i in range(40)]
        import time; time.sleep(1.5)
        lab.stop()
        sent = lab.events.delivered
        print(json.dumps({{
            "ids": ids,
            "succeeded": [d["requestId"] for d in sent if d["target"] == arns["ok"]],
            "dlq": [d["requestId"] for d in sent if d["target"] == arns["failed"]],
            "dropped": [[d["requestId"], d["reason"]] for d in lab.dropped_events],
        }}))
        """
    )
    result = run["result"]
    dropped = [rid for rid, _ in result["dropped"]]
    finished = result["succeeded"] + result["dlq"] + dropped
    assert sorted(finished) == sorted(result["ids"])  # each event exactly once
    assert result["succeeded"] and dropped  # some ran before stop(), some had not
    assert {reason for _, reason in result["dropped"]} == {"lab stopped"}


def test_throttled_event_is_retried_up_to_its_age_not_dropped_after_seconds(lab, lam, zoo):
    zoo("ok", "ok")
    lam.put_function_concurrency(FunctionName="ok", ReservedConcurrentExecutions=0)
    response = lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b"{}")
    assert response["StatusCode"] == 202
    time.sleep(5.5)  # longer than the lab used to keep a throttled event
    assert lab.dropped_events == []
    assert lab.events.pending() == {"ok": 1}
    lam.delete_function_concurrency(FunctionName="ok")
    lab.wait()
    assert [i.outcome for i in lab.invocations] == ["success"]
    assert lab.dropped_events == []


def _logged(name: str) -> list[str]:
    logs = boto3.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    return [event["message"] for event in events]


@pytest.mark.parametrize(
    ("function", "settings", "outcome"),
    [
        ("print_then_hang", {"timeout_s": 1}, "timeout"),
        ("print_then_exit", {}, "exit"),
        ("print_then_oom", {"memory_mb": 128, "timeout_s": 10}, "out_of_memory"),
        ("crash_segfault", {}, "exit"),
    ],
)
def test_what_was_printed_before_the_end_reaches_cloudwatch_logs(
    lab, lam, zoo, function, settings, outcome
):
    zoo("crasher", function, **settings)
    text = f"last words of {function}"
    invoke(lam, "crasher", {"text": text})
    assert lab.invocations[-1].outcome == outcome
    if function != "crash_segfault":
        assert text in _logged("crasher")
    assert any(line.startswith("REPORT") for line in _logged("crasher"))


def test_a_segfault_reports_its_signal(lab, lam, zoo):
    zoo("segv", "crash_segfault")
    _, body = invoke(lam, "segv")
    assert body["errorMessage"].endswith("Runtime exited with error: signal: segmentation fault")


def test_a_flood_of_output_is_cut_and_the_lab_keeps_a_bounded_amount(lab, lam, zoo):
    zoo("flood", "flood", timeout_s=30, memory_mb=512)
    response, body = invoke(lam, "flood", {"mb": 8})
    assert body == "flooded"
    messages = _logged("flood")
    kept = sum(len(m.encode()) for m in messages)
    assert kept < OUTPUT_BUDGET_BYTES + 4096
    assert any("more bytes of output were not kept" in m for m in messages)


def test_a_log_line_longer_than_a_cloudwatch_event_is_cut_at_the_limit(lab, lam, zoo):
    zoo("long-line", "flood", memory_mb=512)
    invoke(lam, "long-line", {"line_bytes": max_message_bytes() + 1000})
    longest = max(len(m.encode()) for m in _logged("long-line"))
    assert longest == max_message_bytes()


def test_a_failed_dead_letter_delivery_is_reported_as_that(lab, lam, zoo):
    missing = "arn:aws:sqs:us-east-1:123456789012:no-such-queue"
    zoo("dlq", "print_then_exit", DeadLetterConfig={"TargetArn": missing})
    lam.put_function_event_invoke_config(FunctionName="dlq", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="dlq", InvocationType="Event", Payload=json.dumps({"code": 2}))
    lab.wait()
    (dropped,) = lab.dropped_events
    assert dropped["reason"].startswith(f"Delivery to dead-letter queue {missing} failed")


def test_a_write_the_pipe_takes_only_in_part_is_finished(monkeypatch):
    """A pipe may take part of a large write (a signal interrupts it): the rest is written too."""
    from course.lab import worker

    written: list[bytes] = []

    def partial(fd: int, data) -> int:  # a pipe that takes at most 7 bytes a call
        written.append(bytes(data[:7]))
        return len(written[-1])

    monkeypatch.setattr(worker.os, "write", partial)
    stream = worker._log_stream()
    stream.write("y" * 100 + "\n")
    assert b"".join(written) == b"y" * 100 + b"\n"

"""The lab survives its handlers: no hang, a new template when one dies, reset() cancels."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tests.lab.conftest import ZOO, invoke, run_own_lab

MARGIN_S = 2.0  # how much longer than its Timeout an invocation may take to end


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP])
def test_a_dead_template_is_replaced_on_the_next_cold_start(lab, lam, zoo, how):
    zoo("first", "ok")
    old = lab.runtime._template.process
    os.kill(old.pid, how)
    if how == signal.SIGSTOP:  # a stopped template is as good as dead: end it like a crash
        os.kill(old.pid, signal.SIGKILL)
    started = time.monotonic()
    response, body = invoke(lam, "first")
    assert "FunctionError" not in response, body
    assert time.monotonic() - started < 10
    assert lab.runtime._template.process.pid != old.pid


@pytest.mark.parametrize(
    ("function", "payload"),
    [
        ("print_then_hang", {}),
        ("kill_group", {}),
        ("crash_segfault", {}),
        ("leave_daemon", {"live_s": 30, "then_hang": True}),
    ],
)
def test_no_invocation_outlives_its_timeout(lab, lam, zoo, function, payload):
    zoo("nasty", function, timeout_s=1)
    started = time.monotonic()
    invoke(lam, "nasty", payload)
    assert time.monotonic() - started < 1 + MARGIN_S
    response, _ = invoke(lam, "nasty", payload)  # and the next one too
    assert time.monotonic() - started < 2 * (1 + MARGIN_S)
    assert lab.runtime._template.alive()


def test_reset_cancels_running_sync_and_async_work_within_seconds(lab, lam, zoo):
    zoo("slow", "sleep", timeout_s=60)
    for _ in range(5):
        lam.invoke(FunctionName="slow", InvocationType="Event", Payload=b'{"s": 30}')
    answers = []
    caller = threading.Thread(target=lambda: answers.append(invoke(lam, "slow", {"s": 30})))
    caller.start()
    deadline = time.monotonic() + 10
    while len([e for e in lab.environments() if e.busy]) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    lab.reset()
    caller.join(timeout=10)
    assert time.monotonic() - started < 5
    assert not caller.is_alive()
    assert answers[0][0].get("FunctionError") == "Unhandled"  # answered, not hung
    assert lab.events.pending() == {}
    time.sleep(0.3)
    assert lab.invocations == [] and lab.dropped_events == []  # no stale records


def test_a_lab_started_from_a_thread_that_ended_still_works():
    run = run_own_lab(
        f"""
        import json, threading, boto3
        import course.lab
        thread = threading.Thread(target=course.lab.start)
        thread.start()
        thread.join()
        lab = course.lab.running()
        lab.deploy("ok", {str(ZOO)!r}, handler="hostile.ok")
        import time; time.sleep(0.5)
        response = boto3.client("lambda").invoke(FunctionName="ok")
        print(json.dumps({{"error": response.get("FunctionError"),
                          "template": lab.runtime._template.alive()}}))
        lab.stop()
        """
    )
    assert run["result"] == {"error": None, "template": True}

"""Reserved concurrency is checked on every invocation, warm or cold (the Throttle button)."""

import pytest

HELLO = "def handler(event, context):\n    return 'hi'\n"


def test_reserved_zero_after_a_warm_call_throttles_and_removing_it_reuses_the_warm_one(lab, lam):
    lab.deploy("warm-throttle", HELLO)
    assert lam.invoke(FunctionName="warm-throttle")["StatusCode"] == 200
    lam.put_function_concurrency(FunctionName="warm-throttle", ReservedConcurrentExecutions=0)
    for _ in range(3):
        with pytest.raises(lam.exceptions.TooManyRequestsException) as caught:
            lam.invoke(FunctionName="warm-throttle")
        assert caught.value.response["Reason"] == (
            "ReservedFunctionConcurrentInvocationLimitExceeded"
        )
    lam.delete_function_concurrency(FunctionName="warm-throttle")
    lam.invoke(FunctionName="warm-throttle")
    assert [i.cold for i in lab.invocations] == [True, False]


def test_a_throttled_async_event_after_a_warm_call_never_runs(lab, lam):
    lab.deploy("warm-async", HELLO)
    lam.invoke(FunctionName="warm-async")
    lam.put_function_concurrency(FunctionName="warm-async", ReservedConcurrentExecutions=0)
    lab.events.throttle_wait_s = 0.2
    try:
        lam.invoke(FunctionName="warm-async", InvocationType="Event", Payload=b"{}")
        lab.wait()
    finally:
        lab.events.throttle_wait_s = 5.0
    assert len(lab.invocations) == 1
    (dropped,) = lab.dropped_events
    assert dropped["reason"].startswith("EventAgeExceeded after 0 attempt(s)")

"""Reserved concurrency is checked on every invocation, warm or cold (the Throttle button)."""

import time

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


def test_a_throttled_async_event_after_a_warm_call_waits_and_does_not_run(lab, lam):
    lab.deploy("warm-async", HELLO)
    lam.invoke(FunctionName="warm-async")
    lam.put_function_concurrency(FunctionName="warm-async", ReservedConcurrentExecutions=0)
    lam.invoke(FunctionName="warm-async", InvocationType="Event", Payload=b"{}")
    time.sleep(1.0)  # the warm environment is there, yet the throttle holds the event back
    assert len(lab.invocations) == 1
    assert lab.events.pending() == {"warm-async": 1}  # retried up to its maximum age, as AWS does
    lam.delete_function_concurrency(FunctionName="warm-async")
    lab.wait()
    assert [i.outcome for i in lab.invocations] == ["success", "success"]

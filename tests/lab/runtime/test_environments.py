"""Execution environments: cold then warm, fresh after changes, separate when concurrent."""

import json
import os
import threading
import time

import pytest

from course.facts import fact
from course.lab import local_aws
from course.lab.runtime import IDLE_EXPIRY_S
from tests.lab.runtime.conftest import function_arn, role_allowing


def call(lam, name, payload=None, **kwargs):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kwargs)
    return json.loads(response["Payload"].read() or "null")


def test_warm_environment_keeps_module_state(lab, lam, deploy):
    deploy("echo", "context_echo.handler")
    first, second = call(lam, "echo"), call(lam, "echo")
    assert (first["calls"], second["calls"]) == (1, 2)
    assert first["pid"] == second["pid"]
    assert [i.cold for i in lab.invocations] == [True, False]
    assert lab.invocations[0].init_duration_ms is not None
    assert lab.invocations[1].init_duration_ms is None


@pytest.mark.parametrize("change", ["code", "configuration"])
def test_code_or_configuration_change_means_a_cold_start(lab, lam, deploy, change):
    deploy("echo", "context_echo.handler")
    before = call(lam, "echo")
    if change == "code":
        lab.update_code(
            "echo",
            "import context_echo\nhandler = context_echo.handler\n",
            handler="context_echo2.handler",
        )
        lam.update_function_configuration(FunctionName="echo", Handler="context_echo2.handler")
    else:
        lam.update_function_configuration(FunctionName="echo", MemorySize=256)
    assert call(lam, "echo", {}) is not None
    after = lab.invocations[-1]
    assert after.cold
    assert after.environment_id != lab.invocations[0].environment_id
    assert before["calls"] == 1


def test_idle_expiry_ends_the_environment(lab, lam, deploy):
    deploy("echo", "context_echo.handler")
    call(lam, "echo")
    lab.idle_expiry_s = 0.05
    time.sleep(0.1)
    assert call(lam, "echo")["calls"] == 1
    assert lab.invocations[-1].cold


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_idle_environments_end_on_their_own_without_another_invoke(lab, lam, deploy):
    deploy("echo", "context_echo.handler")
    call(lam, "echo")
    assert [env.function_name for env in lab.environments()] == ["echo"]
    pid = lab.environments()[0].pid  # the host's pid: inside its PID namespace it is 1
    lab.idle_expiry_s = 0.2
    deadline = time.monotonic() + 5
    while (lab.environments() or pid_alive(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lab.environments() == [] and not pid_alive(pid)
    assert len(lab.invocations) == 1  # nothing was invoked to make it happen


def test_a_busy_environment_is_not_expired_while_it_runs(lab, lam, deploy):
    deploy("slow", "self_invoke.slow", timeout_s=5)
    lab.idle_expiry_s = 0.05
    assert call(lam, "slow", {"seconds": 0.5}) is not None
    assert lab.invocations[-1].error_type is None


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan"])
def test_a_bad_idle_expiry_variable_is_refused_before_anything_starts(monkeypatch, value):
    monkeypatch.setenv(local_aws.IDLE_EXPIRY_VARIABLE, value)
    with pytest.raises(ValueError, match=r"InvalidParameterValueException: .* positive number"):
        local_aws.Lab()


def test_the_idle_expiry_variable_sets_the_expiry_in_seconds():
    assert local_aws._idle_expiry_from_env(None) == IDLE_EXPIRY_S
    assert local_aws._idle_expiry_from_env("300") == 300.0


def test_concurrent_calls_get_separate_environments(lab, lam, deploy):
    deploy("slow", "self_invoke.slow", timeout_s=5)
    threads = [
        threading.Thread(target=call, args=(lam, "slow", {"seconds": 0.5})) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({i.environment_id for i in lab.invocations}) == 3
    assert all(i.cold for i in lab.invocations)


def test_handler_invoking_its_own_function_does_not_deadlock(lab, lam, deploy):
    role = role_allowing(lab, "selfie", "lambda:InvokeFunction", function_arn("selfie"))
    deploy("selfie", "self_invoke.handler", timeout_s=10, role=role)
    assert call(lam, "selfie") == {"outer": True, "inner": {"depth": 1}}


def test_reserved_concurrency_zero_throttles(lam, deploy):
    deploy("echo", "context_echo.handler")
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as caught:
        lam.invoke(FunctionName="echo")
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_reserved_concurrency_zero_throttles_a_warm_function_too(lab, lam, deploy):
    deploy("echo", "context_echo.handler")
    call(lam, "echo")  # a warm environment is waiting
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="echo")
    lam.delete_function_concurrency(FunctionName="echo")
    assert call(lam, "echo")["calls"] == 2  # the same environment, still warm
    assert [i.cold for i in lab.invocations] == [True, False]


def test_reserved_concurrency_one_throttles_the_second_concurrent_call(lab, lam, deploy):
    deploy("slow", "self_invoke.slow", timeout_s=5)
    lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=1)
    running = threading.Thread(target=call, args=(lam, "slow", {"seconds": 1}))
    running.start()
    time.sleep(0.4)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="slow", Payload=b'{"seconds": 0}')
    running.join()
    assert call(lam, "slow", {"seconds": 0}) == "done"


def test_account_limit_throttles(lab, lam, deploy):
    deploy("slow", "self_invoke.slow", timeout_s=5)
    lab.account_concurrency = 1
    running = threading.Thread(target=call, args=(lam, "slow", {"seconds": 1}))
    running.start()
    time.sleep(0.4)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as caught:
        lam.invoke(FunctionName="slow", Payload=b'{"seconds": 0}')
    running.join()
    assert caught.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"


def test_account_limit_defaults_to_the_facts_file(lab):
    assert lab.account_concurrency == fact("concurrency.account_default").value

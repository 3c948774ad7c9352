"""Fidelity found while hardening: init limit, exit status, Decimal, the exact response limit."""

from __future__ import annotations

from course.facts import fact
from tests.lab.conftest import invoke

SLOW_INIT = "import time\ntime.sleep(1.5)\ndef handler(e, c):\n    return 'ready'\n"


def test_the_init_phase_has_its_own_limit_not_the_timeout(lab, lam):
    assert fact("timeout.init_phase_s").value > 1.5
    lab.deploy("slow-init", SLOW_INIT, timeout_s=1)
    response, body = invoke(lam, "slow-init")
    assert "FunctionError" not in response, body
    assert body == "ready"
    (call,) = lab.invocations
    assert call.init_duration_ms > 1500 and call.outcome == "success"


def test_os_exit_reports_its_status(lab, lam, zoo):
    zoo("exit", "print_then_exit")
    _, body = invoke(lam, "exit", {"code": 7})
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 7")


def test_a_decimal_return_value_is_a_json_number(lab, lam, zoo):
    zoo("decimal", "decimal_value")
    response, body = invoke(lam, "decimal")
    assert "FunctionError" not in response, body
    assert body == {"price": 1.5, "count": 3}


def test_the_response_limit_is_the_exact_byte_figure_and_over_it_is_a_failure(lab, lam, zoo):
    limit = int(fact("payload.sync_response_bytes").value)
    zoo("sized", "sized_response", memory_mb=1024)
    response, body = invoke(lam, "sized", {"bytes": limit - 2})  # + 2 quotes = the limit
    assert "FunctionError" not in response and len(body) == limit - 2
    response, body = invoke(lam, "sized", {"bytes": limit - 1})  # one byte over
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    assert [call.outcome for call in lab.invocations] == ["success", "error"]
    assert lab.invocations[-1].error_type == "Function.ResponseSizeTooLarge"

"""Each Configuration and limits check says 'not yet' to the placeholder and to a plausible
wrong answer, and 'correct' to the right one, without printing it: the lab's state is real."""

import math

import boto3
import pytest

from course.facts import fact
from course.grading.checks import configuration as checks
from course.lessons.configuration import trace_id, zip_files
from course.pricing.power_tuning_live import Measurement

pytestmark = pytest.mark.usefixtures("lab")  # the shared lab, wiped after each test


@pytest.fixture
def lam():
    return boto3.client("lambda")


def _measurements(warm_ms):
    """Real Measurement objects, with durations chosen by the test (the check does the maths)."""
    pairs = zip(checks.Q1_SIZES, warm_ms, strict=True)
    return [Measurement(size, (ms,), (1.0,), (ms, ms)) for size, ms in pairs]


@pytest.mark.parametrize(
    "check, arguments",
    [
        (checks.check_q1, (..., ...)),
        (checks.check_q2, (...,)),
        (checks.check_q3, (...,)),
        (checks.check_q4, (...,)),
        (checks.check_q5, (...,)),
        (checks.check_q6, (...,)),
        (checks.check_q7, (...,)),
    ],
    ids=[f"Q{n}" for n in range(1, 8)],
)
def test_placeholder_is_not_yet(verdict, check, arguments):
    assert "not yet: " in verdict(check, *arguments)


def test_q1_cheapest_from_the_learners_own_measurements(verdict):
    # CPU-bound-like: duration falls slower than memory grows, so the smallest is cheapest
    # while the largest is fastest.
    results = _measurements([100.0, 40.0, 20.0])
    right = checks.expected_q1(results)
    assert right == checks.Q1_SIZES[0]
    wrong = verdict(checks.check_q1, checks.Q1_SIZES[-1], results)  # the fastest, not cheapest
    assert wrong.startswith("Q1 not yet: ") and "fastest" in wrong
    line = verdict(checks.check_q1, right, results)
    assert line.startswith("Q1 correct: ") and str(right) not in line
    assert "measure()" in verdict(checks.check_q1, right, results[:2])


def test_q1_answer_follows_the_measurements_not_a_fixed_size(verdict):
    results = _measurements([1000.0, 150.0, 60.0])  # 640 MB is cheapest here
    assert checks.expected_q1(results) == checks.Q1_SIZES[1]
    assert verdict(checks.check_q1, checks.Q1_SIZES[0], results).startswith("Q1 not yet: ")
    assert verdict(checks.check_q1, checks.Q1_SIZES[1], results).startswith("Q1 correct: ")


def test_q2_canary_alias(verdict, lam):
    assert "create the alias" in verdict(checks.check_q2, {}).lower()
    v1, v2 = checks.deploy_q2_function()
    # Wrong: the routing backwards (v2 main, 10 % to v1).
    backwards = {"AdditionalVersionWeights": {v1: checks.Q2_WEIGHT}}
    alias = lam.create_alias(
        FunctionName=checks.Q2_FUNCTION, Name="live", FunctionVersion=v2, RoutingConfig=backwards
    )
    assert verdict(checks.check_q2, alias).startswith("Q2 not yet: ")
    # Wrong: 90 % to the new version.
    heavy = {"AdditionalVersionWeights": {v2: 0.9}}
    alias = lam.update_alias(
        FunctionName=checks.Q2_FUNCTION, Name="live", FunctionVersion=v1, RoutingConfig=heavy
    )
    assert "AdditionalVersionWeights" in verdict(checks.check_q2, alias)
    canary = {"AdditionalVersionWeights": {v2: checks.Q2_WEIGHT}}
    alias = lam.update_alias(
        FunctionName=checks.Q2_FUNCTION, Name="live", FunctionVersion=v1, RoutingConfig=canary
    )
    line = verdict(checks.check_q2, alias)
    assert line.startswith("Q2 correct: ") and "0.1" not in line


def _layer(lam, path):
    archive = zip_files({path: checks.Q3_SOURCE})
    return lam.publish_layer_version(LayerName="tax", Content={"ZipFile": archive})[
        "LayerVersionArn"
    ]


def test_q3_layer_module_must_be_under_python(verdict, lam):
    at_root = verdict(checks.check_q3, _layer(lam, f"{checks.Q3_MODULE}.py"))
    assert at_root.startswith("Q3 not yet: ") and "Runtime.ImportModuleError" in at_root
    assert verdict(checks.check_q3, "not-an-arn").startswith("Q3 not yet: ")
    line = verdict(checks.check_q3, _layer(lam, f"python/{checks.Q3_MODULE}.py"))
    assert line.startswith("Q3 correct: ") and "python/" not in line


def test_q4_provisioned_concurrency_stops_the_cold_start(verdict, lam):
    checks.deploy_q4_function()
    # Wrong: reserved concurrency caps the function but initialises nothing ahead.
    reserved = lam.put_function_concurrency(
        FunctionName=checks.Q4_FUNCTION, ReservedConcurrentExecutions=1
    )
    assert "provisioned concurrency" in verdict(checks.check_q4, reserved)
    lam.delete_function_concurrency(FunctionName=checks.Q4_FUNCTION)
    config = lam.put_provisioned_concurrency_config(
        FunctionName=checks.Q4_FUNCTION, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    assert verdict(checks.check_q4, config).startswith("Q4 correct: ")


def test_q5_the_slow_call_is_read_from_the_real_trace(verdict, lab, lam):
    import json

    from course.lessons.configuration import slowest_call, trace_spans

    checks.deploy_q5_function()
    header = json.loads(lam.invoke(FunctionName=checks.Q5_FUNCTION)["Payload"].read())
    spans = trace_spans(trace_id(header))
    assert slowest_call(spans).name == checks.Q5_SLOW[0]  # the scenario is what the check says
    assert verdict(checks.check_q5, ("DynamoDB", "ListTables")).startswith("Q5 not yet: ")
    assert "operation" in verdict(checks.check_q5, (checks.Q5_SLOW[0], "ListQueues"))
    assert "pair" in verdict(checks.check_q5, checks.Q5_SLOW[0])
    line = verdict(checks.check_q5, checks.Q5_SLOW)
    assert line.startswith("Q5 correct: ") and checks.Q5_SLOW[1] not in line


def test_q6_timeout_must_let_it_finish_and_be_the_smallest(verdict):
    right = checks.expected_q6()
    assert right == math.ceil(checks.Q6_WORK_S)
    assert "Sandbox.Timedout" in verdict(checks.check_q6, right - 1)
    assert "smaller" in verdict(checks.check_q6, int(fact("timeout.max_s").value))
    assert "refused" in verdict(checks.check_q6, int(fact("timeout.max_s").value) + 1)
    assert "whole number" in verdict(checks.check_q6, 2.5)
    line = verdict(checks.check_q6, right)
    assert line.startswith("Q6 correct: ") and str(right) not in line


def test_q7_errors_name_todays_limits(verdict):
    errors = checks.q7_errors()
    assert set(errors) == set(checks.Q7_SETTINGS)
    expected = checks.expected_q7()
    for setting, message in errors.items():
        assert f"less than or equal to {expected[setting]}" in message
    older = {s: int(fact(checks.Q7_FACTS[s]).history[0]["value"]) for s in checks.Q7_SETTINGS}
    assert older != expected
    assert "of 3 are right" in verdict(checks.check_q7, older)
    assert "keys" in verdict(checks.check_q7, {"MemorySize": 1})
    line = verdict(checks.check_q7, expected)
    assert line.startswith("Q7 correct: ") and str(expected["Timeout"]) not in line


def test_q8_json_logs_at_warn(verdict, lam):
    assert verdict(checks.check_q8, ...).startswith("Q8 not yet: ")
    checks.deploy_q8_function()
    assert "LogFormat" in verdict(checks.check_q8, {})  # still plain text
    name = checks.Q8_FUNCTION
    at_info = lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "JSON"}
    )
    assert "level" in verdict(checks.check_q8, at_info)
    right = lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}
    )
    line = verdict(checks.check_q8, right)
    assert line.startswith("Q8 correct: ") and "ApplicationLogLevel" not in line

"""Provisioned concurrency: initialised ahead of time, no cold starts, spill-over, priced."""

import json
import threading
import time

import pytest

from course.lab import alias_routing
from course.lab.provisioned_concurrency import TYPE

HANDLER = """
import os, time
time.sleep(0.05)

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
"""


def _ready(lam, name, qualifier, timeout=30):
    states = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        states.append(config["Status"])
        if config["Status"] != "IN_PROGRESS":
            return config, states
        time.sleep(0.02)
    raise AssertionError(f"still {states[-1]} after {timeout} s")


def _provision(lab, lam, name, count, alias=None):
    lab.deploy(name, HANDLER)
    version = lam.publish_version(FunctionName=name)["Version"]
    qualifier = version
    if alias:
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=version)
        qualifier = alias
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=qualifier, ProvisionedConcurrentExecutions=count
    )
    assert put["Status"] == "IN_PROGRESS"
    assert put["RequestedProvisionedConcurrentExecutions"] == count
    return qualifier


def test_environments_are_ready_ahead_and_calls_have_no_cold_start(lab, lam):
    qualifier = _provision(lab, lam, "pc", 2, alias="live")
    config, states = _ready(lam, "pc", qualifier)
    assert config["Status"] == "READY" and states[0] == "IN_PROGRESS"
    assert config["AllocatedProvisionedConcurrentExecutions"] == 2
    ready = [e for e in lab.environments() if e.initialization_type == "provisioned-concurrency"]
    assert len(ready) == 2
    assert lab.invocations == []  # initialised before any invocation
    for _ in range(3):
        payload = lam.invoke(FunctionName="pc", Qualifier=qualifier)["Payload"].read()
        assert json.loads(payload) == "provisioned-concurrency"
    assert [(i.cold, i.init_duration_ms) for i in lab.invocations] == [(False, None)] * 3
    listed = lam.list_provisioned_concurrency_configs(FunctionName="pc")
    assert [c["FunctionArn"].split(":")[-1] for c in listed["ProvisionedConcurrencyConfigs"]] == [
        "live"
    ]


def test_spill_over_beyond_it_is_on_demand_and_cold(lab, lam):
    qualifier = _provision(lab, lam, "pc-spill", 1)
    _ready(lam, "pc-spill", qualifier)
    answers = []

    def call():
        response = lam.invoke(
            FunctionName="pc-spill", Qualifier=qualifier, Payload=b'{"sleep": 0.5}'
        )
        answers.append(json.loads(response["Payload"].read()))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["on-demand", "provisioned-concurrency"]
    by_type = {i.initialization_type: i for i in lab.invocations}
    assert by_type["provisioned-concurrency"].cold is False
    assert by_type["on-demand"].cold is True
    assert by_type["on-demand"].init_duration_ms is not None


def test_latest_and_missing_configs_are_refused_as_on_aws(lab, lam):
    lab.deploy("pc-bad", HANDLER)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="unpublished"):
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-bad", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    lam.publish_version(FunctionName="pc-bad")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName="pc-bad", Qualifier="1")
    lam.put_function_concurrency(FunctionName="pc-bad", ReservedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="reserved"):
        lam.put_provisioned_concurrency_config(
            FunctionName="pc-bad", Qualifier="1", ProvisionedConcurrentExecutions=2
        )


def test_deleting_the_config_ends_its_environments(lab, lam):
    qualifier = _provision(lab, lam, "pc-gone", 1)
    _ready(lam, "pc-gone", qualifier)
    lam.delete_provisioned_concurrency_config(FunctionName="pc-gone", Qualifier=qualifier)
    assert not [e for e in lab.environments() if e.function_name == "pc-gone"]
    lam.invoke(FunctionName="pc-gone", Qualifier=qualifier)
    assert lab.invocations[-1].cold is True


def test_provisioned_environments_do_not_expire_when_idle(lab, lam):
    qualifier = _provision(lab, lam, "pc-idle", 1)
    _ready(lam, "pc-idle", qualifier)
    lab.idle_expiry_s = 0.0
    assert lab.runtime.expire_idle() == 0
    lam.invoke(FunctionName="pc-idle", Qualifier=qualifier)
    assert lab.invocations[-1].cold is False


def _version_of(environment):
    return json.loads(environment.key)[1]  # the runtime's key: [function ARN, version, ...]


def test_a_weighted_alias_splits_its_environments_by_weight_and_serves_both(lab, lam):
    lab.deploy("pc-canary", HANDLER)
    lam.publish_version(FunctionName="pc-canary")
    lab.deploy("pc-canary", HANDLER + "\n# version 2\n")
    lam.publish_version(FunctionName="pc-canary")
    lam.create_alias(
        FunctionName="pc-canary",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
    )
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-canary", Qualifier="live", ProvisionedConcurrentExecutions=4
    )
    config, _states = _ready(lam, "pc-canary", "live")
    assert (config["Status"], config["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 4)
    ready = [e for e in lab.environments() if e.initialization_type == "provisioned-concurrency"]
    assert sorted(_version_of(e) for e in ready) == ["1", "1", "1", "2"]  # 75 % and 25 % of 4
    alias_routing.seed(3)
    try:
        versions = {
            lam.invoke(FunctionName="pc-canary", Qualifier="live")["ExecutedVersion"]
            for _ in range(24)
        }
    finally:
        alias_routing.seed(None)
    assert versions == {"1", "2"}
    runs = {(i.version, i.cold, i.initialization_type) for i in lab.invocations}
    assert runs == {("1", False, TYPE), ("2", False, TYPE)}  # no version starts cold


@pytest.mark.parametrize(
    "init",
    [
        "raise RuntimeError('no database')\n",
        "import module_that_is_not_there\n",
    ],
)
def test_an_init_failure_makes_the_config_failed_with_aws_reason(lab, lam, init):
    lab.deploy("pc-broken", init + "\ndef handler(event, context):\n    return 1\n")
    lam.publish_version(FunctionName="pc-broken")
    lam.put_provisioned_concurrency_config(
        FunctionName="pc-broken", Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    config, _states = _ready(lam, "pc-broken", "1")
    assert config["Status"] == "FAILED"
    assert config["StatusReason"] == "FUNCTION_ERROR_INIT_FAILURE"
    assert not [e for e in lab.environments() if e.initialization_type == TYPE]

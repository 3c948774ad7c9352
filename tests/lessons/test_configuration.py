"""Lesson 06 helpers: zips, AWS errors, canary counts, readiness and X-Ray traces, in the lab."""

import io
import json
import zipfile

import boto3
import pytest

from course.lab import alias_routing
from course.lessons import configuration as helpers


@pytest.fixture
def lam(lab):
    return boto3.client("lambda")


TRACED = """
import os, time
import boto3

s3, sqs = boto3.client("s3"), boto3.client("sqs")
s3.list_buckets(), sqs.list_queues()  # first calls (connections) at init, not traced
sqs.meta.events.register("before-send.sqs", lambda **kwargs: time.sleep(0.3))

def handler(event, context):
    s3.list_buckets()
    sqs.list_queues()
    return os.environ["_X_AMZN_TRACE_ID"]
"""


def test_zip_files_keeps_paths_and_contents():
    archive = zipfile.ZipFile(io.BytesIO(helpers.zip_files({"python/m.py": "x = 1\n"})))
    assert archive.namelist() == ["python/m.py"]
    assert archive.read("python/m.py") == b"x = 1\n"


def test_aws_error_reads_code_and_message(lab, lam):
    line = helpers.aws_error(lam.get_function, FunctionName="nowhere")
    assert line.startswith("ResourceNotFoundException: ") and "nowhere" in line
    assert helpers.aws_error(lam.list_functions) == "no error"


def test_executed_versions_counts_each_call(lab, lam):
    lab.deploy("split", "def handler(event, context):\n    return 1\n")
    first = lam.publish_version(FunctionName="split")["Version"]
    lab.update_code("split", "def handler(event, context):\n    return 2\n")
    second = lam.publish_version(FunctionName="split")["Version"]
    weights = {"AdditionalVersionWeights": {second: 0.5}}
    lam.create_alias(
        FunctionName="split", Name="live", FunctionVersion=first, RoutingConfig=weights
    )
    alias_routing.seed(1)
    counts = helpers.executed_versions("split", "live", 40)
    assert sum(counts.values()) == 40 and set(counts) == {first, second}


def test_wait_until_ready_sees_the_config_become_ready(lab, lam):
    lab.deploy("ahead", "import time\ntime.sleep(0.2)\n\ndef handler(event, context):\n    pass\n")
    version = lam.publish_version(FunctionName="ahead")["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName="ahead", Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    assert helpers.wait_until_ready("ahead", version)[-1] == "READY"


def test_trace_spans_and_slowest_call_read_a_real_trace(lab, lam):
    allow = {
        "Effect": "Allow",
        "Action": ["s3:ListAllMyBuckets", "sqs:ListQueues"],
        "Resource": "*",
    }
    role = lab.execution_role("spans-role", {"Version": "2012-10-17", "Statement": [allow]})
    lab.deploy("spans", TRACED, timeout_s=30, role=role, TracingConfig={"Mode": "Active"})
    header = json.loads(lam.invoke(FunctionName="spans")["Payload"].read())
    spans = helpers.trace_spans(helpers.trace_id(header))
    assert spans[0].name == "AWS::Lambda" and spans[0].depth == 0
    names = [span.name for span in spans]
    assert names.index("Invocation") < names.index("S3") < names.index("SQS")
    assert helpers.slowest_call(spans).name == "SQS"
    assert all(span.end_s >= span.start_s >= 0 for span in spans)


def test_slowest_call_needs_sdk_calls_and_trace_id_needs_a_root():
    spans = [helpers.Span("Invocation", 0, 1, 1), helpers.Span("Overhead", 1, 2, 1)]
    with pytest.raises(LookupError):
        helpers.slowest_call(spans)
    with pytest.raises(ValueError, match="Root"):
        helpers.trace_id("Parent=abc;Sampled=1")


def test_a_missing_trace_is_a_clear_error(lab):
    with pytest.raises(LookupError, match="no trace"):
        helpers.trace_spans("1-00000000-000000000000000000000000")


def test_plot_trace_draws_one_bar_per_span():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    spans = [helpers.Span("AWS::Lambda", 0, 0.3, 0), helpers.Span("Invocation", 0.1, 0.2, 1)]
    helpers.plot_trace(spans, axes)
    assert len(axes.patches) == 2
    assert [t.get_text() for t in axes.get_yticklabels()] == ["AWS::Lambda", "  Invocation"]
    plt.close(figure)


def _lambda_spans():
    return [
        helpers.Span("AWS::Lambda", 0, 1, 0),
        helpers.Span("AWS::Lambda::Function", 0.1, 0.9, 0),
        helpers.Span("Invocation", 0.1, 0.8, 1),
        helpers.Span("S3", 0.1, 0.2, 2),
        helpers.Span("SQS", 0.2, 0.6, 2),
        helpers.Span("S3", 0.6, 0.7, 2),
        helpers.Span("Overhead", 0.8, 0.9, 1),
    ]


def test_sdk_calls_are_the_subsegments_of_invocation_only():
    spans = _lambda_spans()
    assert [c.name for c in helpers.sdk_calls(spans)] == ["S3", "SQS", "S3"]
    assert helpers.slowest_call(spans).name == "SQS"


def test_service_map_chains_the_segments_and_names_each_service_once():
    assert helpers.service_map(_lambda_spans()) == [
        ("client", "AWS::Lambda"),
        ("AWS::Lambda", "AWS::Lambda::Function"),
        ("AWS::Lambda::Function", "S3"),
        ("AWS::Lambda::Function", "SQS"),
    ]


def test_plot_service_map_draws_each_node_once():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    helpers.plot_service_map(helpers.service_map(_lambda_spans()), axes)
    assert sorted(t.get_text() for t in axes.texts if t.get_text()) == sorted(
        ["client", "AWS::Lambda", "AWS::Lambda::Function", "S3", "SQS"]
    )
    plt.close(figure)

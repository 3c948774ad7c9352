"""Facts corrected after review: each is in the facts file with a source, and the code follows."""

import json

import boto3
import pytest

from course.facts import _document, fact
from course.lab.triggers import catalog

FAIL_LONG = """
def handler(event, context):
    raise ValueError("x" * 3000)
"""

CORRECTED = (
    "cognito.trigger_timeout_s",
    "cognito.trigger_attempts",
    "async.throttle_retry",
    "async.dlq_error_message_kb",
    "edge.placement",
    "edge.authoring_region",
    "pricing.init_billed",
    "pricing.init_billing_since",
    "sqs.receive_max_messages",
    "sqs.batch_max_entries",
    "esm.sqs.batching_window_min_for_large_batch_s",
    "dynamodb.billing_modes",
    "pricing.china_regions.x86_128mb_cny_per_ms",
)


@pytest.mark.parametrize("fact_id", CORRECTED)
def test_each_correction_has_a_known_source(fact_id):
    found = fact(fact_id)
    assert found.source and found.as_of and found.status in ("verified", "secondary")
    assert set(found.source) <= set(_document()["sources"])


def test_no_cny_price_in_the_usd_list():
    regions = fact("pricing.other_regions.x86_128mb_usd_per_ms")
    assert "USD" in regions.unit
    assert not any("CNY" in name or name.startswith("cn-") for name in regions.value)
    assert "CNY" in fact("pricing.china_regions.x86_128mb_cny_per_ms").unit


def test_vcpu_history_has_a_source_and_the_old_figure():
    assert fact("memory.max_vcpus").history == ()
    per_vcpu = fact("memory.mb_per_vcpu")
    assert [old["value"] for old in per_vcpu.history] == [1792]
    assert "OLD-DOCS-VCPU-1792" in per_vcpu.source


def test_init_billing_history_dates_the_change():
    billing = fact("pricing.init_billed")
    assert billing.history[0]["until"] == fact("pricing.init_billing_since").value


def test_catalog_says_what_async_retries_cover_and_cognito_limits():
    s3 = catalog.source("S3").retry_text()
    assert "function errors" in s3 and str(fact("async.max_event_age_s")) in s3
    cognito = catalog.source("Cognito").retry_text()
    assert str(fact("cognito.trigger_timeout_s")) in cognito
    assert str(fact("cognito.trigger_attempts")) in cognito


def test_dead_letter_message_keeps_the_first_kb_of_the_error(lab, lam):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="dlq-kb")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    lab.deploy("fail-long", FAIL_LONG, DeadLetterConfig={"TargetArn": arn})
    lam.put_function_event_invoke_config(FunctionName="fail-long", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="fail-long", InvocationType="Event", Payload=b"{}")
    lab.wait()
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    text = message["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert text == "x" * (fact("async.dlq_error_message_kb").value * 1024)
    assert json.loads(message["Body"]) == {}

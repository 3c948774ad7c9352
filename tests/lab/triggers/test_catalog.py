"""The sources table: invocation models match the facts, tables render, gaps fail loudly."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from course.facts import fact
from course.lab.events import sample_info
from course.lab.triggers import MODULES, catalog


def test_every_invocation_model_matches_the_facts_file():
    lists = fact("invocation_types").value
    for item in catalog.SOURCES:
        assert item.fact_name in lists[catalog.FACT_KEYS[item.invocation]], item.name


def test_every_sample_event_agrees_on_the_invocation_model():
    for item in catalog.SOURCES:
        if item.sample:
            assert sample_info(item.sample).invocation == item.invocation, item.name


def test_emulated_sources_name_installed_modules():
    for item in catalog.SOURCES:
        if item.support == "emulated":
            assert item.module in MODULES
    assert catalog.source("SQS").support == "emulated"
    assert catalog.source("IoT").support == "not emulated"


def test_tables_list_every_source_with_numbers_from_the_facts():
    markdown = catalog.markdown_table()
    text = catalog.text_table()
    for item in catalog.SOURCES:
        assert item.name in markdown and item.name in text
    assert str(fact("async.max_retry_attempts")) in markdown
    assert "{" not in markdown  # every fact placeholder was filled in
    assert len(markdown.splitlines()) == len(catalog.SOURCES) + 2


def test_each_row_names_its_lab_support_once():
    for row in catalog.rows():
        lab_text = row["In the lab"].lower()
        support = lab_text.split(":")[0]
        assert lab_text.count(support) == 1 or support == "emulated", row["Source"]
        assert lab_text.count("not emulated") <= 1, row["Source"]


def test_require_raises_for_a_gap_and_returns_an_emulated_source():
    assert catalog.require("S3").module == "notifications"
    with pytest.raises(catalog.SourceNotEmulatedError, match="not emulated by the lab"):
        catalog.require("IoT")


def test_iot_rule_with_a_lambda_action_is_refused(lab):
    fn = lab.deploy("on-iot", "def handler(event, context):\n    return event\n")
    with pytest.raises(ClientError) as caught:
        boto3.client("iot").create_topic_rule(
            ruleName="temperature",
            topicRulePayload={
                "sql": "SELECT * FROM 'sensors/#'",
                "actions": [{"lambda": {"functionArn": fn["FunctionArn"]}}],
            },
        )
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "AWS IoT topic rules are not emulated by the lab" in str(caught.value)


def test_iot_rule_without_lambda_is_still_created(lab):
    boto3.client("iot").create_topic_rule(
        ruleName="to_sqs",
        topicRulePayload={
            "sql": "SELECT * FROM 'sensors/#'",
            "actions": [
                {"sqs": {"queueUrl": "https://example", "roleArn": "arn:aws:iam::1:role/r"}}
            ],
        },
    )
    assert boto3.client("iot").get_topic_rule(ruleName="to_sqs")["rule"]["ruleName"] == "to_sqs"


def test_http_api_lambda_integration_is_refused(lab):
    fn = lab.deploy("api", "def handler(event, context):\n    return {}\n")
    client = boto3.client("apigatewayv2")
    api = client.create_api(Name="orders", ProtocolType="HTTP")["ApiId"]
    with pytest.raises(ClientError, match="HTTP API are not emulated by the lab"):
        client.create_integration(
            ApiId=api,
            IntegrationType="AWS_PROXY",
            IntegrationUri=fn["FunctionArn"],
            PayloadFormatVersion="2.0",
        )


def test_step_functions_lambda_task_is_refused(lab):
    fn = lab.deploy("step", "def handler(event, context):\n    return {}\n")
    role = lab.execution_role("sfn-role")
    definition = {
        "StartAt": "Run",
        "States": {"Run": {"Type": "Task", "Resource": fn["FunctionArn"], "End": True}},
    }
    with pytest.raises(ClientError, match="Step Functions"):
        boto3.client("stepfunctions").create_state_machine(
            name="flow", definition=json.dumps(definition), roleArn=role
        )

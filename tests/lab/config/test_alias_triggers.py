"""An alias's weights and a version's frozen settings hold on every path, not only Invoke.

Each test sends N events through one path to an alias that routes weight W to version 2. The
number that ran version 2 is binomial(N, W): the share is accepted within 4 standard deviations,
sqrt(W (1 - W) / N), of W. An unseeded draw would fall outside with probability below 1e-4;
the draws are seeded here so a run is repeatable. Version 1 runs at 128 MB and version 2 at
256 MB, so each invocation record's memory shows that the version's own configuration ran.
"""

import json
import math

import boto3
import pytest

from course.lab import alias_routing
from course.lessons.integrations import allow

CODE = """
def handler(event, context):
    print("ARN", context.invoked_function_arn)
    return {'n': len(event.get('Records', []))}
"""
WEIGHT = 0.3
EVENTS = 120
MEMORY = {"1": 128, "2": 256}


@pytest.fixture
def seeded():
    alias_routing.seed(11)
    yield
    alias_routing.seed(None)


def _canary(lab, lam, name):
    """Versions 1 (128 MB) and 2 (256 MB) and alias `live`: version 1 plus WEIGHT to 2."""
    lab.deploy(name, CODE, memory_mb=MEMORY["1"])
    lam.publish_version(FunctionName=name)
    lab.deploy(name, CODE.replace("'n'", "'count'"), memory_mb=MEMORY["2"])
    lam.publish_version(FunctionName=name)
    lab.deploy(name, CODE, memory_mb=512)  # $LATEST moves on: it must never run
    alias = lam.create_alias(
        FunctionName=name,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": WEIGHT}},
    )
    return alias["AliasArn"]


def _printed_arns(name):
    """The invoked ARN the handler printed at each run, oldest first."""
    logs = boto3.client("logs")
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=f"/aws/lambda/{name}", filterPattern="ARN"
    )
    return [e["message"].split()[1] for page in pages for e in page["events"]]


def _assert_split(lab, name, invocation_type, alias_arn=None):
    runs = [i for i in lab.invocations if i.function == name]
    if alias_arn:  # the handler is shown the alias it was invoked through, as on AWS
        assert set(_printed_arns(name)) == {alias_arn}
    assert len(runs) == EVENTS
    assert {i.invocation_type for i in runs} == {invocation_type}
    assert all(i.outcome == "success" for i in runs)
    assert all(i.memory_size_mb == MEMORY[i.version] for i in runs)  # KeyError on $LATEST
    share = sum(i.version == "2" for i in runs) / EVENTS
    assert share == pytest.approx(WEIGHT, abs=4 * math.sqrt(WEIGHT * (1 - WEIGHT) / EVENTS))


def test_s3_notifications_to_an_alias_follow_its_weights(lab, lam, seeded):
    arn = _canary(lab, lam, "s3-canary")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="canary-inbox")
    allow(arn, "s3.amazonaws.com", "arn:aws:s3:::canary-inbox")
    config = {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
    s3.put_bucket_notification_configuration(
        Bucket="canary-inbox",
        NotificationConfiguration={"LambdaFunctionConfigurations": [config]},
    )
    for n in range(EVENTS):
        s3.put_object(Bucket="canary-inbox", Key=f"k{n}", Body=b"x")
    lab.wait()
    _assert_split(lab, "s3-canary", "Event", arn)


def test_an_sqs_mapping_on_an_alias_keeps_the_alias_and_follows_its_weights(lab, lam, seeded):
    arn = _canary(lab, lam, "sqs-canary")
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="canary-jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for start in range(0, EVENTS, 10):
        entries = [{"Id": str(n), "MessageBody": str(n)} for n in range(start, start + 10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName="sqs-canary:live", BatchSize=1
    )
    assert mapping["FunctionArn"] == arn  # as on AWS: the alias, not its current version
    lab.wait()
    _assert_split(lab, "sqs-canary", "RequestResponse", arn)


def test_async_invokes_of_an_alias_follow_its_weights(lab, lam, seeded):
    arn = _canary(lab, lam, "async-canary")
    for _ in range(EVENTS):
        answer = lam.invoke(FunctionName="async-canary:live", InvocationType="Event", Payload=b"{}")
        assert answer["StatusCode"] == 202
    lab.wait()
    _assert_split(lab, "async-canary", "Event", arn)


def test_a_trigger_on_a_version_arn_runs_that_versions_frozen_code(lab, lam):
    _canary(lab, lam, "pinned")
    version_arn = lam.get_function_configuration(FunctionName="pinned", Qualifier="2")[
        "FunctionArn"
    ]
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="pinned-topic")["TopicArn"]
    allow(version_arn, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=version_arn)
    for _ in range(3):
        sns.publish(TopicArn=topic, Message=json.dumps({"hello": "v2"}))
    lab.wait()
    runs = [(i.version, i.memory_size_mb, i.outcome) for i in lab.invocations]
    assert runs == [("2", MEMORY["2"], "success")] * 3


def test_sns_and_eventbridge_show_the_handler_the_alias_they_invoke(lab, lam):
    sns_alias = _canary(lab, lam, "sns-canary")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="canary-topic")["TopicArn"]
    allow(sns_alias, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=sns_alias)
    rule_alias = _canary(lab, lam, "rule-canary")
    events = boto3.client("events")
    rule = events.put_rule(Name="canary", EventPattern=json.dumps({"source": ["course.test"]}))
    allow(rule_alias, "events.amazonaws.com", rule["RuleArn"])
    events.put_targets(Rule="canary", Targets=[{"Id": "fn", "Arn": rule_alias}])
    for n in range(3):
        sns.publish(TopicArn=topic, Message=json.dumps({"n": n}))
        entry = {"Source": "course.test", "DetailType": "t", "Detail": json.dumps({"n": n})}
        events.put_events(Entries=[entry])
    lab.wait()
    assert _printed_arns("sns-canary") == [sns_alias] * 3
    assert _printed_arns("rule-canary") == [rule_alias] * 3

"""Async invocation: 202 at once, retries, destinations, dead-letter queue, nothing lost."""

import json

import boto3

from course.facts import fact


def queue(name):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def received(url):
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def test_event_returns_202_and_runs_in_the_background(lab, lam, deploy):
    deploy("ok", "flaky.ok")
    response = lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b'{"id": 1}')
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    lab.wait()
    assert [(i.outcome, i.invocation_type) for i in lab.invocations] == [("success", "Event")]


def test_failures_are_retried_then_sent_to_on_failure(lab, lam, deploy):
    config = deploy("bad", "flaky.fail")
    url, arn = queue("failures")
    lam.put_function_event_invoke_config(
        FunctionName="bad", DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    lam.invoke(FunctionName="bad", InvocationType="Event", Payload=b'{"id": 7}')
    lab.wait()
    attempts = 1 + fact("async.max_retry_attempts").value
    assert len(lab.invocations) == attempts
    assert len({i.request_id for i in lab.invocations}) == 1
    (message,) = received(url)
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == attempts
    assert record["requestContext"]["functionArn"] == config["FunctionArn"] + ":$LATEST"
    assert record["requestPayload"] == {"id": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"


def test_retry_attempts_from_event_invoke_config(lab, lam, deploy):
    deploy("bad", "flaky.fail")
    lam.put_function_event_invoke_config(FunctionName="bad", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="bad", InvocationType="Event", Payload=b"{}")
    lab.wait()
    assert len(lab.invocations) == 1
    assert "RetriesExhausted after 1 attempt" in lab.dropped_events[0]["reason"]


def test_success_goes_to_on_success(lab, lam, deploy):
    deploy("ok", "flaky.ok")
    url, arn = queue("successes")
    lam.put_function_event_invoke_config(
        FunctionName="ok", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b'{"id": 3}')
    lab.wait()
    record = json.loads(received(url)[0]["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"processed": 3}


def test_dead_letter_config_is_kept_and_receives_the_event(lab, lam, deploy):
    url, arn = queue("dlq")
    config = deploy("bad", "flaky.fail", DeadLetterConfig={"TargetArn": arn})
    assert config["DeadLetterConfig"] == {"TargetArn": arn}
    assert lam.get_function_configuration(FunctionName="bad")["DeadLetterConfig"] == {
        "TargetArn": arn
    }
    lam.put_function_event_invoke_config(FunctionName="bad", MaximumRetryAttempts=1)
    lam.invoke(FunctionName="bad", InvocationType="Event", Payload=b'{"id": 9}')
    lab.wait()
    (message,) = received(url)
    assert json.loads(message["Body"]) == {"id": 9}
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "cannot process 9"
    assert lab.dropped_events == []


def test_failed_event_without_destination_is_recorded_as_dropped(lab, lam, deploy):
    deploy("bad", "flaky.fail")
    lam.put_function_event_invoke_config(FunctionName="bad", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="bad", InvocationType="Event", Payload=b'{"id": 1}')
    lab.wait()
    (dropped,) = lab.dropped_events
    assert dropped["function"] == "bad"
    assert "no OnFailure destination or dead-letter queue" in dropped["reason"]


def test_destinations_sns_lambda_and_eventbridge(lab, lam, deploy):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="results")["TopicArn"]
    url, queue_arn = queue("from-sns")
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    target = deploy("target", "flaky.ok")
    deploy("ok", "flaky.ok")
    deploy("bad", "flaky.fail")
    lam.put_function_event_invoke_config(
        FunctionName="ok", DestinationConfig={"OnSuccess": {"Destination": topic}}
    )
    lam.put_function_event_invoke_config(
        FunctionName="bad",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": target["FunctionArn"]}},
    )
    lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b'{"id": 1}')
    lam.invoke(FunctionName="bad", InvocationType="Event", Payload=b'{"id": 2}')
    lab.wait()
    assert json.loads(received(url)[0]["Body"])["requestContext"]["condition"] == "Success"
    ran = [(i.function, i.outcome) for i in lab.invocations]
    assert ("target", "success") in ran
    assert lab.dropped_events == []


def test_legacy_invoke_async_is_queued(lab, lam, deploy):
    deploy("ok", "flaky.ok")
    response = lam.invoke_async(FunctionName="ok", InvokeArgs=b'{"id": 5}')
    assert response["Status"] == 202
    lab.wait()
    assert [(i.function, i.invocation_type) for i in lab.invocations] == [("ok", "Event")]


def test_destination_eventbridge_bus(lab, lam, deploy):
    events = boto3.client("events")
    bus = events.create_event_bus(Name="results")["EventBusArn"]
    url, queue_arn = queue("from-bus")
    events.put_rule(Name="all", EventBusName="results", EventPattern='{"source": ["lambda"]}')
    events.put_targets(Rule="all", EventBusName="results", Targets=[{"Id": "q", "Arn": queue_arn}])
    deploy("ok", "flaky.ok")
    lam.put_function_event_invoke_config(
        FunctionName="ok", DestinationConfig={"OnSuccess": {"Destination": bus}}
    )
    lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b'{"id": 4}')
    lab.wait()
    event = json.loads(received(url)[0]["Body"])
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["detail"]["responsePayload"] == {"processed": 4}

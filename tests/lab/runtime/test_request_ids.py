"""One request id per invocation: the Invoke response, the handler, the logs and the DLQ agree."""

import base64
import json

import boto3


def test_sync_invoke_response_carries_the_functions_request_id(lab, lam, deploy):
    deploy("echo", "context_echo.handler")
    response = lam.invoke(FunctionName="echo", LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    assert request_id == response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert json.loads(response["Payload"].read())["aws_request_id"] == request_id
    assert lab.invocations[-1].request_id == request_id
    tail = base64.b64decode(response["LogResult"]).decode()
    assert f"START RequestId: {request_id} " in tail
    assert f"REPORT RequestId: {request_id}\t" in tail


def test_failed_sync_invoke_response_carries_the_functions_request_id(lab, lam, deploy):
    deploy("bad", "errors.raise_error")
    response = lam.invoke(FunctionName="bad")
    request_id = response["ResponseMetadata"]["RequestId"]
    assert json.loads(response["Payload"].read())["requestId"] == request_id
    assert lab.invocations[-1].request_id == request_id


def test_async_invoke_response_carries_the_events_request_id(lab, lam, deploy):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    deploy("bad", "flaky.fail", DeadLetterConfig={"TargetArn": arn})
    lam.put_function_event_invoke_config(FunctionName="bad", MaximumRetryAttempts=1)
    response = lam.invoke(FunctionName="bad", InvocationType="Event", Payload=b'{"id": 3}')
    assert response["StatusCode"] == 202
    request_id = response["ResponseMetadata"]["RequestId"]
    lab.wait()
    assert [i.request_id for i in lab.invocations] == [request_id, request_id]
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert message["MessageAttributes"]["RequestID"]["StringValue"] == request_id

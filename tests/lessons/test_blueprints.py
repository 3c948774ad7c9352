"""Starter templates: each compiles and really runs on its paired sample event in a subprocess.

Handlers that call AWS reach a moto server on 127.0.0.1 through AWS_ENDPOINT_URL, with the
bucket and object the sample event names created first.
"""

import ast
import json
import os
import subprocess
import sys
from importlib import resources

import boto3
import pytest
from moto.server import ThreadedMotoServer

from course.lab.events import sample_names
from course.lessons.blueprints import (
    HANDLER,
    BlueprintNotFoundError,
    blueprint_names,
    blueprint_source,
    paired_event,
    paired_event_name,
)

REGION = "us-east-1"
OBJECT_BODY = b"Hello from the course!"

# Runs in the child: load the template saved as lambda_function.py, call the handler once
# with the event read from stdin, print the JSON result.
RUNNER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("lambda_function", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
class Context:
    function_name = "example-function"
    aws_request_id = "6f1c2a3b-0000-4000-8000-000000000001"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:example-function"
    memory_limit_in_mb = 128
    def get_remaining_time_in_millis(self):
        return 3000
print(json.dumps(getattr(module, sys.argv[2])(json.load(sys.stdin), Context())))
"""


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _child_env(endpoint_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )
    return env


def run_blueprint(
    name: str, event: dict, endpoint_url: str, tmp_path
) -> subprocess.CompletedProcess:
    """Save the template as lambda_function.py and invoke its handler once in a new process."""
    function_file = tmp_path / "lambda_function.py"
    function_file.write_text(blueprint_source(name), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(function_file), HANDLER],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=_child_env(endpoint_url),
        cwd=tmp_path,
        timeout=60,
    )


def result_of(name: str, event: dict, endpoint_url: str, tmp_path):
    done = run_blueprint(name, event, endpoint_url, tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_template_file_is_a_blueprint_and_back():
    files = sorted(
        p.name
        for p in resources.files("course.lessons").joinpath("templates").iterdir()
        if p.name.endswith(".py")
    )
    assert files == sorted(f"{name.replace('-', '_')}.py" for name in blueprint_names())


@pytest.mark.parametrize("name", blueprint_names())
def test_template_compiles_and_defines_a_documented_handler(name):
    tree = ast.parse(blueprint_source(name), filename=f"{name}.py")
    compile(tree, f"{name}.py", "exec")
    assert ast.get_docstring(tree)
    handlers = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == HANDLER]
    assert len(handlers) == 1 and [a.arg for a in handlers[0].args.args] == ["event", "context"]
    assert "print(" not in blueprint_source(name)


@pytest.mark.parametrize("name", blueprint_names())
def test_template_pairs_with_an_existing_sample(name):
    assert paired_event_name(name) in sample_names()


def test_unknown_blueprint_names_the_known_ones():
    with pytest.raises(BlueprintNotFoundError, match="no blueprint called 'sqs'.*sqs-batch"):
        blueprint_source("sqs")


def test_hello_world_greets_with_key1(endpoint, tmp_path):
    assert result_of("hello-world", paired_event("hello-world"), endpoint, tmp_path) == {
        "greeting": "Hello from Lambda!",
        "key1": "value1",
    }


def test_s3_get_object_reads_the_object_the_event_names(endpoint, tmp_path):
    event = paired_event("s3-get-object")
    target = event["Records"][0]["s3"]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=target["bucket"]["name"])
    s3.put_object(
        Bucket=target["bucket"]["name"],
        Key=target["object"]["key"],
        Body=OBJECT_BODY,
        ContentType="text/plain",
    )
    assert result_of("s3-get-object", event, endpoint, tmp_path) == {
        "objects": [
            {
                "bucket": "example-bucket",
                "key": "uploads/hello.txt",
                "contentType": "text/plain",
                "size": len(OBJECT_BODY),
            }
        ]
    }


def test_s3_get_object_fails_like_aws_when_the_object_is_missing(endpoint, tmp_path):
    event = paired_event("s3-get-object")
    event["Records"][0]["s3"]["object"]["key"] = "uploads/not-there.txt"
    done = run_blueprint("s3-get-object", event, endpoint, tmp_path)
    assert done.returncode != 0
    assert "NoSuchKey" in done.stderr


def test_sqs_batch_reports_no_failures_for_good_messages(endpoint, tmp_path):
    assert result_of("sqs-batch", paired_event("sqs-batch"), endpoint, tmp_path) == {
        "batchItemFailures": []
    }


def test_sqs_batch_reports_only_the_failed_message(endpoint, tmp_path):
    event = paired_event("sqs-batch")
    event["Records"][1]["body"] = "not json"
    failed_id = event["Records"][1]["messageId"]
    assert result_of("sqs-batch", event, endpoint, tmp_path) == {
        "batchItemFailures": [{"itemIdentifier": failed_id}]
    }


def test_apigateway_proxy_returns_a_proxy_response(endpoint, tmp_path):
    response = result_of("apigateway-proxy", paired_event("apigateway-proxy"), endpoint, tmp_path)
    assert set(response) == {"statusCode", "headers", "body"}
    assert response["statusCode"] == 200
    assert response["headers"] == {"Content-Type": "application/json"}
    assert json.loads(response["body"]) == {
        "method": "GET",
        "path": "/orders/1001",
        "pathParameters": {"orderId": "1001"},
        "query": {"verbose": "true"},
    }


def test_dynamodb_stream_processor_counts_each_kind_of_change(endpoint, tmp_path):
    event = paired_event("dynamodb-stream-processor")
    assert result_of("dynamodb-stream-processor", event, endpoint, tmp_path) == {
        "processed": 3,
        "byEventName": {"INSERT": 1, "MODIFY": 1, "REMOVE": 1},
    }


def test_eventbridge_scheduled_reports_the_rule_and_time(endpoint, tmp_path):
    event = paired_event("eventbridge-scheduled")
    assert result_of("eventbridge-scheduled", event, endpoint, tmp_path) == {
        "rule": "example-nightly-rule",
        "scheduledTime": event["time"],
        "result": f"ran for {event['time']}",
    }

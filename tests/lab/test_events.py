"""Sample events: each parses, matches its own shape, is indexed, and mutations are reported."""

import base64
import gzip
import hashlib
import json
from importlib import resources

import pytest

from course.lab.events import (
    SampleEventNotFoundError,
    assert_shaped_like,
    sample_event,
    sample_info,
    sample_names,
    shape,
    shape_differences,
)

EVENTS_DIR = resources.files("course.lab").joinpath("events")
EVENT_FILES = sorted(p.name for p in EVENTS_DIR.iterdir() if p.name.endswith(".json"))
INDEX = json.loads(EVENTS_DIR.joinpath("index.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("file_name", EVENT_FILES)
def test_every_file_is_plain_json(file_name):
    value = json.loads(EVENTS_DIR.joinpath(file_name).read_text(encoding="utf-8"))
    assert isinstance(value, dict) and value


def test_index_covers_every_event_file_and_only_existing_files():
    indexed = sorted(entry["file"] for entry in INDEX["events"])
    assert indexed == sorted(f for f in EVENT_FILES if f != "index.json")
    assert sorted(entry["name"] for entry in INDEX["events"]) == sample_names()
    assert all(entry["file"] == f"{entry['name']}.json" for entry in INDEX["events"])


def test_the_asked_for_sources_are_all_there():
    assert len(sample_names()) == 17
    for name in ("s3-put", "apigateway-http-api-v2", "cognito-pre-token-generation", "hello-world"):
        assert name in sample_names()


@pytest.mark.parametrize("name", sample_names())
def test_index_entry_says_service_invocation_and_source(name):
    info = sample_info(name)
    assert info.service and info.about
    assert info.invocation in {"sync", "async", "poller"}
    assert info.shape_from["title"]
    assert info.shape_from["url"].startswith("https://docs.aws.amazon.com/")


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_matches_its_own_shape(name):
    assert shape_differences(sample_event(name), name) == []
    assert_shaped_like(sample_event(name), name)


def _parent_exists(value, segments):
    """True when every segment but the last can be followed in `value` ('*' = any key)."""
    nodes = [value]
    for segment in segments[:-1]:
        key, is_list = (segment[:-2], True) if segment.endswith("[]") else (segment, False)
        found = []
        for node in nodes:
            if not isinstance(node, dict):
                continue
            children = list(node.values()) if key == "*" else [node[key]] if key in node else []
            for child in children:
                found.extend(child if is_list and isinstance(child, list) else [child])
        nodes = found
    return bool(nodes)


@pytest.mark.parametrize("name", sample_names())
def test_index_rules_name_real_places_in_the_sample(name):
    info = sample_info(name)
    for pattern in (*info.optional, *info.nullable, *info.open):
        assert _parent_exists(sample_event(name), pattern.split(".")), (name, pattern)


def test_sample_event_is_a_fresh_copy():
    first = sample_event("s3-put")
    first["Records"][0]["s3"]["bucket"]["name"] = "changed"
    assert sample_event("s3-put")["Records"][0]["s3"]["bucket"]["name"] == "example-bucket"


def test_unknown_sample_names_the_known_ones():
    with pytest.raises(SampleEventNotFoundError, match="no sample event called 's3-get'.*s3-put"):
        sample_event("s3-get")


def test_shape_describes_structure():
    assert shape({"a": 1, "b": [True], "c": None, "d": "x", "e": []}) == {
        "a": "number",
        "b": ["boolean"],
        "c": "null",
        "d": "string",
        "e": [],
    }


def test_shape_of_a_list_unites_its_items():
    assert shape([{"a": "x"}, {"a": None, "b": 2.5}]) == [{"a": "null or string", "b": "number"}]
    assert shape([{"a": 1}, ["x"]]) == ["any"]


def test_missing_key_is_reported():
    event = sample_event("s3-put")
    del event["Records"][0]["s3"]["object"]["key"]
    assert shape_differences(event, "s3-put") == [
        "Records[0].s3.object.key is missing (the s3-put sample has it as a string)."
    ]


def test_wrong_type_is_reported():
    event = sample_event("sqs-receive-message")
    event["Records"][1]["attributes"] = ["ApproximateReceiveCount"]
    event["Records"][0]["body"] = {"orderId": "1001"}
    assert shape_differences(event, "sqs-receive-message") == [
        "Records[0].body should be a string, but it is an object.",
        "Records[1].attributes should be an object, but it is a list.",
    ]


def test_extra_key_is_reported():
    event = sample_event("eventbridge-scheduled-event")
    event["detail"] = {"unexpected": 1}
    event["Source"] = "aws.events"
    assert shape_differences(event, "eventbridge-scheduled-event") == [
        "detail.unexpected is extra: the eventbridge-scheduled-event sample has no such field.",
        "Source is extra: the eventbridge-scheduled-event sample has no such field.",
    ]


def test_not_an_object_at_all_is_reported():
    assert shape_differences(["Records"], "s3-put") == [
        "The event should be an object, but it is a list."
    ]


def test_optional_fields_may_be_missing():
    event = sample_event("s3-put")
    del event["Records"][0]["s3"]["object"]["versionId"]
    assert shape_differences(event, "s3-put") == []
    event = sample_event("secrets-manager-rotation")
    del event["RotationToken"]
    assert shape_differences(event, "secrets-manager-rotation") == []


def test_optional_fields_absent_from_the_sample_may_appear():
    event = sample_event("s3-delete")
    event["Records"][0]["s3"]["object"]["versionId"] = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    assert shape_differences(event, "s3-delete") == []


def test_optional_is_per_field_not_per_event():
    event = sample_event("s3-delete")
    del event["Records"][0]["s3"]["object"]["sequencer"]
    assert shape_differences(event, "s3-delete") == [
        "Records[0].s3.object.sequencer is missing (the s3-delete sample has it as a string)."
    ]


def test_nullable_fields_may_be_null_and_others_may_not():
    event = sample_event("apigateway-aws-proxy")
    event["queryStringParameters"] = None
    event["body"] = '{"note": "a body"}'
    event["requestContext"]["identity"]["caller"] = "AIDAEXAMPLECALLER"
    assert shape_differences(event, "apigateway-aws-proxy") == []
    event["httpMethod"] = None
    assert shape_differences(event, "apigateway-aws-proxy") == [
        "httpMethod should be a string, but it is null."
    ]


def test_open_maps_take_any_key_but_check_value_types():
    event = sample_event("apigateway-aws-proxy")
    event["headers"]["X-Example"] = "yes"
    assert shape_differences(event, "apigateway-aws-proxy") == []
    event["multiValueHeaders"]["X-Example"] = "yes"
    assert shape_differences(event, "apigateway-aws-proxy") == [
        "multiValueHeaders.X-Example should be a list, but it is a string."
    ]


def test_dynamodb_records_may_lack_either_image():
    event = sample_event("dynamodb-stream-update")
    insert, modify, remove = (record["dynamodb"] for record in event["Records"])
    assert "OldImage" not in insert and "NewImage" not in remove
    del modify["OldImage"]
    assert shape_differences(event, "dynamodb-stream-update") == []
    del modify["Keys"]
    assert shape_differences(event, "dynamodb-stream-update") == [
        "Records[1].dynamodb.Keys is missing "
        "(the dynamodb-stream-update sample has it as an object)."
    ]


def test_assert_shaped_like_lists_the_differences():
    event = sample_event("hello-world")
    event["key1"] = 1
    del event["key3"]
    with pytest.raises(AssertionError) as raised:
        assert_shaped_like(event, "hello-world")
    assert str(raised.value) == (
        "The event is not shaped like the hello-world sample (2 difference(s)):\n"
        "- key1 should be a string, but it is a number.\n"
        "- key3 is missing (the hello-world sample has it as a string)."
    )


def test_cloudwatch_logs_data_is_real_gzip_json():
    data = sample_event("cloudwatch-logs-subscription")["awslogs"]["data"]
    payload = json.loads(gzip.decompress(base64.b64decode(data)))
    assert payload["messageType"] == "DATA_MESSAGE"
    assert payload["owner"] == "123456789012"
    assert {"logGroup", "logStream", "subscriptionFilters", "logEvents"} <= set(payload)
    assert all({"id", "timestamp", "message"} == set(e) for e in payload["logEvents"])


def test_sqs_md5_and_kinesis_base64_are_consistent():
    for record in sample_event("sqs-receive-message")["Records"]:
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    for record in sample_event("kinesis-get-records")["Records"]:
        assert base64.b64decode(record["kinesis"]["data"], validate=True).decode()


def test_examples_use_the_neutral_account_and_region():
    for name in sample_names():
        text = json.dumps(sample_event(name))
        for region in ("us-west-2", "eu-west-1", "ap-"):
            assert region not in text, (name, region)
        assert "arn:aws:" not in text or "123456789012" in text or name.startswith("s3-"), name

"""Both reference architectures run end to end in the lab, with real boto3 calls and HTTP."""

import boto3
import pytest

from course.facts import fact
from course.lessons import architectures as arch

PASSWORD = "Correct-Horse-9"


def test_an_upload_makes_a_thumbnail_and_a_metadata_item(lab):
    arn = arch.build_thumbnail_pipeline()
    assert arn.endswith(f":function:{arch.THUMBNAIL_FUNCTION}")
    arch.upload("photos/hills 1.png", arch.sample_image(640, 400))
    thumbnail = arch.download("photos/hills 1.png")
    assert arch.image_size(thumbnail) == (arch.MAX_SIDE_PX, 80)
    assert arch.metadata("photos/hills 1.png") == {
        "source_key": "photos/hills 1.png",
        "thumbnail_key": "photos/hills 1.png",
        "format": "PNG",
        "source_width": 640,
        "source_height": 400,
        "thumbnail_width": arch.MAX_SIDE_PX,
        "thumbnail_height": 80,
    }
    assert [(i.function, i.invocation_type, i.outcome) for i in lab.invocations] == [
        (arch.THUMBNAIL_FUNCTION, "Event", "success")
    ]


def test_a_small_jpeg_keeps_its_size_and_format(lab):
    arch.build_thumbnail_pipeline()
    arch.upload("small.jpg", arch.sample_image(100, 60, "JPEG"))
    assert arch.image_size(arch.download("small.jpg")) == (100, 60)
    assert arch.metadata("small.jpg")["format"] == "JPEG"


def test_without_the_permission_s3_refuses_the_notification(lab):
    arch.create_storage()
    arn = arch.deploy_thumbnail_function()
    with pytest.raises(Exception, match="Not authorized to invoke function"):
        arch.notify_function(arch.UPLOADS, arn)


def test_writing_into_the_source_bucket_loops_until_the_recursion_guard(lab):
    arch.create_storage(arch.UPLOADS, arch.UPLOADS)
    arn = arch.deploy_thumbnail_function(thumbnails=arch.UPLOADS, prefix="thumbnails/")
    arch.allow_s3(arch.THUMBNAIL_FUNCTION, arch.UPLOADS)
    arch.notify_function(arch.UPLOADS, arn)
    arch.upload("hills.png", arch.sample_image())
    hops = fact("invoke.recursion_max_hops").value
    assert len(lab.invocations) == hops
    assert len(arch.keys(arch.UPLOADS)) == hops + 1
    (stopped,) = lab.dropped_events
    assert "Recursive loop stopped" in stopped["reason"]
    assert "invoke.recursion_max_hops" in stopped["reason"]


def test_a_prefix_filter_breaks_the_loop(lab):
    arch.create_storage(arch.UPLOADS, arch.UPLOADS)
    arn = arch.deploy_thumbnail_function(thumbnails=arch.UPLOADS, prefix="thumbnails/")
    arch.allow_s3(arch.THUMBNAIL_FUNCTION, arch.UPLOADS)
    arch.notify_function(arch.UPLOADS, arn, prefix="uploads/")
    arch.upload("uploads/hills.png", arch.sample_image())
    assert len(lab.invocations) == 1
    assert arch.keys(arch.UPLOADS) == ["thumbnails/uploads/hills.png", "uploads/hills.png"]
    assert lab.dropped_events == []


def test_thumbnail_size_keeps_the_aspect_ratio_and_never_enlarges():
    assert arch.expected_thumbnail_size(640, 400) == (128, 80)
    assert arch.expected_thumbnail_size(400, 640) == (80, 128)
    assert arch.expected_thumbnail_size(50, 20) == (50, 20)
    assert arch.expected_thumbnail_size(3000, 7) == (128, 1)


def test_users_sign_up_log_in_and_call_the_api(lab):
    api = arch.build_users_api()
    assert api.url.startswith("http://127.0.0.1:") and api.url.endswith("/prod/me")
    assert arch.sign_up(api, "ana", PASSWORD, "ana@example.com") is True  # PreSignUp confirmed
    token = arch.log_in(api, "ana", PASSWORD)
    status, body = arch.call(api.url, token)
    assert status == 200
    assert (body["username"], body["email"]) == ("ana", "ana@example.com")
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=api.pool_id, Username="ana")
    assert {"Name": "sub", "Value": body["user_id"]} in user["UserAttributes"]
    assert arch.call(api.url) == (401, {"message": "Unauthorized"})
    assert arch.call(api.url, token[:-4] + "AAAA")[0] == 401
    functions = [i.function for i in lab.invocations]
    assert functions == [arch.SIGN_UP_FUNCTION, arch.SIGN_UP_FUNCTION, arch.API_FUNCTION]


def test_every_flow_joins_two_services_of_its_architecture():
    for architecture in (arch.THUMBNAIL_PIPELINE, arch.USERS_API):
        keys = [s.key for s in architecture.services]
        assert len(keys) == len(set(keys))
        for flow in architecture.flows:
            assert {flow.source, flow.target} <= set(keys), flow

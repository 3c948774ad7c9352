"""Lambda@Edge: CloudFront accepts only what AWS does, and the function gets CloudFront events."""

import boto3
import pytest
from botocore.exceptions import ClientError

from course.facts import fact
from course.lab import edge
from course.lab.edge import InvalidLambdaFunctionAssociation

ADD_HEADER = """
def handler(event, context):
    cf = event["Records"][0]["cf"]
    if cf["config"]["eventType"] == "origin-response":
        response = cf["response"]
        response["headers"]["x-lab"] = [{"key": "X-Lab", "value": "edge"}]
        return response
    request = cf["request"]
    request["uri"] = request["uri"].rstrip("/") + "/index.html"
    return request
"""


def _version(lab, lam, name, **settings):
    lab.deploy(name, ADD_HEADER, **settings)
    return lam.publish_version(FunctionName=name)["FunctionArn"]


def _distribution(arn, event_type):
    return {
        "CallerReference": arn + event_type,
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": "site.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "allow-all",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "LambdaFunctionAssociations": {
                "Quantity": 1,
                "Items": [{"LambdaFunctionARN": arn, "EventType": event_type}],
            },
        },
    }


def test_viewer_request_and_origin_response_events_reach_a_numbered_version(lab, lam):
    arn = _version(lab, lam, "edge-ok", timeout_s=fact("edge.viewer").value["timeout_s"])
    request = edge.invoke(arn, "viewer-request", uri="/docs/")
    assert request["uri"] == "/docs/index.html"
    assert request["headers"]["host"][0]["value"] == edge.DOMAIN
    response = edge.invoke(arn, "origin-response", uri="/docs/index.html")
    assert response["status"] == "200"
    assert response["headers"]["x-lab"] == [{"key": "X-Lab", "value": "edge"}]


@pytest.mark.parametrize(
    ("settings", "qualifier", "message"),
    [
        ({}, "$LATEST", "specific function version"),
        ({"env": {"STAGE": "prod"}}, None, "environment variables"),
        ({"timeout_s": fact("edge.viewer").value["timeout_s"] + 1}, None, "time limit"),
        ({"memory_mb": fact("edge.viewer").value["memory_mb"] + 1}, None, "memory size"),
    ],
)
def test_viewer_limits_and_deployment_rules_are_enforced(lab, lam, settings, qualifier, message):
    arn = _version(lab, lam, "edge-bad", **settings)
    if qualifier:
        arn = arn.rsplit(":", 1)[0] + f":{qualifier}"
    with pytest.raises(InvalidLambdaFunctionAssociation, match=message):
        edge.check(arn, "viewer-request")


def test_origin_events_allow_more_and_other_regions_are_refused(lab, lam):
    timeout = fact("edge.viewer").value["timeout_s"] + 1
    arn = _version(lab, lam, "edge-origin", timeout_s=timeout)
    edge.check(arn, "origin-request")
    elsewhere = arn.replace(":us-east-1:", ":eu-west-1:")
    with pytest.raises(InvalidLambdaFunctionAssociation, match="us-east-1"):
        edge.check(elsewhere, "origin-request")


def test_create_distribution_refuses_an_unfit_association(lab, lam):
    cloudfront = boto3.client("cloudfront")
    good = _version(lab, lam, "edge-cf", timeout_s=fact("edge.viewer").value["timeout_s"])
    created = cloudfront.create_distribution(
        DistributionConfig=_distribution(good, "viewer-request")
    )
    associations = created["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert associations["LambdaFunctionAssociations"]["Items"][0]["LambdaFunctionARN"] == good
    latest = good.rsplit(":", 1)[0]
    with pytest.raises(ClientError) as caught:
        cloudfront.create_distribution(DistributionConfig=_distribution(latest, "viewer-request"))
    assert caught.value.response["Error"]["Code"] == "InvalidLambdaFunctionAssociation"


def _associated(lab, lam, name):
    """A clean version 1 of `name`, associated with a distribution for viewer-request."""
    arn = _version(lab, lam, name, timeout_s=fact("edge.viewer").value["timeout_s"])
    cloudfront = boto3.client("cloudfront")
    created = cloudfront.create_distribution(
        DistributionConfig=_distribution(arn, "viewer-request")
    )
    return arn, created


def test_a_function_in_edge_mode_cannot_be_given_what_edge_refuses(lab, lam):
    arn, created = _associated(lab, lam, "edge-mode")
    assert edge.associations("edge-mode") == [
        (created["Distribution"]["Id"], arn, "viewer-request")
    ]
    too_big = fact("edge.viewer").value["memory_mb"] + 1
    for change, message in [
        ({"Environment": {"Variables": {"STAGE": "prod"}}}, "environment variables"),
        ({"MemorySize": too_big}, "memory size"),
    ]:
        with pytest.raises(lam.exceptions.InvalidParameterValueException, match=message):
            lam.update_function_configuration(FunctionName="edge-mode", **change)
    config = lam.get_function_configuration(FunctionName="edge-mode")
    assert "Variables" not in (config.get("Environment") or {})
    lam.update_function_configuration(FunctionName="edge-mode", Description="still fine")
    lab.deploy("edge-free", ADD_HEADER, env={"STAGE": "prod"})  # not associated: no rules


def test_publishing_a_version_that_breaks_the_rules_fails_in_edge_mode(lab, lam):
    _version(lab, lam, "edge-pub", timeout_s=fact("edge.viewer").value["timeout_s"])
    lam.update_function_configuration(
        FunctionName="edge-pub", Environment={"Variables": {"A": "b"}}
    )
    version_1 = lam.get_function_configuration(FunctionName="edge-pub", Qualifier="1")
    cloudfront = boto3.client("cloudfront")
    cloudfront.create_distribution(
        DistributionConfig=_distribution(version_1["FunctionArn"], "viewer-request")
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="Lambda@Edge mode"):
        lam.publish_version(FunctionName="edge-pub")
    lam.update_function_configuration(FunctionName="edge-pub", Environment={"Variables": {}})
    assert lam.publish_version(FunctionName="edge-pub")["Version"] == "2"


def test_update_distribution_checks_its_associations_too(lab, lam):
    good, created = _associated(lab, lam, "edge-upd")
    cloudfront = boto3.client("cloudfront")
    distribution_id, etag = created["Distribution"]["Id"], created["ETag"]
    config = _distribution(good.rsplit(":", 1)[0], "viewer-request")  # $LATEST: refused
    with pytest.raises(ClientError) as caught:
        cloudfront.update_distribution(DistributionConfig=config, Id=distribution_id, IfMatch=etag)
    assert caught.value.response["Error"]["Code"] == "InvalidLambdaFunctionAssociation"

"""Lesson 05's helpers for function URLs and VPC access, against the lab."""

import boto3

from course.lessons import security

ECHO = "def handler(event, context):\n    return {'path': event['rawPath']}\n"


def test_call_url_signs_for_lambda_and_says_status_and_body(lab):
    arn = lab.deploy("t05-url", ECHO)["FunctionArn"]
    boto3.client("lambda").create_function_url_config(FunctionName="t05-url", AuthType="AWS_IAM")
    url = lab.function_url("t05-url")
    allowed = security.user_credentials(
        "t05-caller", security.statement("lambda:InvokeFunctionUrl", arn)
    )
    assert security.call_url(url) == '403 {"Message":"Forbidden"}'
    assert security.call_url(url + "x", allowed) == '200 {"path": "/x"}'


def test_a_private_network_routes_nowhere_and_its_config_names_it(lab):
    network = security.private_network("10.9.0.0/16")
    ec2 = boto3.client("ec2")
    (table,) = ec2.describe_route_tables(RouteTableIds=[network["table"]])["RouteTables"]
    assert [r["GatewayId"] for r in table["Routes"]] == ["local"]
    assert table["Associations"][0]["SubnetId"] == network["subnet"]
    assert security.vpc_config(network) == {
        "SubnetIds": [network["subnet"]],
        "SecurityGroupIds": [network["group"]],
    }

"""Functions in a VPC: Pending while the ENIs are created, EC2 rights, and lost internet."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

LISTER = """
import boto3

def handler(event, context):
    if event["service"] == "dynamodb":
        return len(boto3.client("dynamodb").list_tables()["TableNames"])
    return len(boto3.client("sqs").list_queues().get("QueueUrls", []))
"""
ENI_STATEMENT = {
    "Effect": "Allow",
    "Action": [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
    ],
    "Resource": "*",
}
DATA_STATEMENT = {
    "Effect": "Allow",
    "Action": ["dynamodb:ListTables", "sqs:ListQueues"],
    "Resource": "*",
}


@pytest.fixture
def network():
    """A VPC with one private subnet (its own route table) and a security group."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    group = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnet": subnet, "table": table, "group": group}


def vpc_config(network) -> dict:
    return {"SubnetIds": [network["subnet"]], "SecurityGroupIds": [network["group"]]}


def deploy(lab, network, *statements, timeout_s=1):
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    role = lab.execution_role("vpc-fn-role", policy)
    return lab.deploy(
        "vpc-fn", LISTER, role=role, timeout_s=timeout_s, VpcConfig=vpc_config(network)
    )


def active(lab) -> None:
    boto3.client("lambda").get_waiter("function_active").wait(
        FunctionName="vpc-fn", WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )


def test_pending_while_the_eni_is_created_then_active(lab, network):
    config = deploy(lab, network, ENI_STATEMENT, DATA_STATEMENT)
    assert config["State"] == "Pending"
    with pytest.raises(ClientError) as caught:
        boto3.client("lambda").invoke(FunctionName="vpc-fn", Payload=b'{"service": "sqs"}')
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "in the following state: Pending" in caught.value.response["Error"]["Message"]
    active(lab)
    got = boto3.client("lambda").get_function_configuration(FunctionName="vpc-fn")
    assert got["State"] == "Active"
    assert got["VpcConfig"]["SubnetIds"] == [network["subnet"]]
    (eni,) = boto3.client("ec2").describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [network["subnet"]]}]
    )["NetworkInterfaces"]
    assert eni["InterfaceType"] == "lambda"
    assert eni["Description"].startswith("AWS Lambda VPC ENI-vpc-fn-")
    assert eni["Groups"][0]["GroupId"] == network["group"]
    boto3.client("lambda").delete_function(FunctionName="vpc-fn")
    assert (
        boto3.client("ec2").describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": [network["subnet"]]}]
        )["NetworkInterfaces"]
        == []
    )


@pytest.mark.parametrize("missing", ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"])
def test_the_role_needs_the_eni_permissions(lab, network, missing):
    statement = {**ENI_STATEMENT, "Action": [a for a in ENI_STATEMENT["Action"] if a != missing]}
    with pytest.raises(ClientError) as caught:
        deploy(lab, network, statement)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == (
        "The provided execution role does not have permissions to call "
        f"{missing.split(':')[1]} on EC2"
    )


def test_unknown_subnets_are_refused(lab, network):
    with pytest.raises(ClientError) as caught:
        deploy(lab, {**network, "subnet": "subnet-12345678"}, ENI_STATEMENT)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert "InvalidSubnetID.NotFound" in error["Message"]


def run(service: str) -> dict:
    response = boto3.client("lambda").invoke(
        FunctionName="vpc-fn", Payload=json.dumps({"service": service})
    )
    return {"error": response.get("FunctionError"), "body": json.loads(response["Payload"].read())}


def test_no_route_times_out_then_a_gateway_endpoint_or_nat_fixes_it(lab, network):
    deploy(lab, network, ENI_STATEMENT, DATA_STATEMENT)
    active(lab)
    started = time.monotonic()
    lost = run("dynamodb")
    assert lost["error"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in lost["body"]["errorMessage"]
    assert time.monotonic() - started < 5

    ec2 = boto3.client("ec2")
    ec2.create_vpc_endpoint(
        VpcId=network["vpc"],
        ServiceName="com.amazonaws.us-east-1.dynamodb",
        VpcEndpointType="Gateway",
        RouteTableIds=[network["table"]],
    )
    assert run("dynamodb") == {"error": None, "body": 0}
    assert run("sqs")["error"] == "Unhandled"  # the endpoint is for DynamoDB only

    public = ec2.create_subnet(VpcId=network["vpc"], CidrBlock="10.0.2.0/24")["Subnet"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public["SubnetId"], AllocationId=eip)["NatGateway"]
    ec2.create_route(
        RouteTableId=network["table"],
        DestinationCidrBlock="0.0.0.0/0",
        NatGatewayId=nat["NatGatewayId"],
    )
    assert run("sqs") == {"error": None, "body": 0}


def test_an_interface_endpoint_serves_its_service(lab, network):
    deploy(lab, network, ENI_STATEMENT, DATA_STATEMENT)
    active(lab)
    boto3.client("ec2").create_vpc_endpoint(
        VpcId=network["vpc"],
        ServiceName="com.amazonaws.us-east-1.sqs",
        VpcEndpointType="Interface",
        SubnetIds=[network["subnet"]],
    )
    assert run("sqs") == {"error": None, "body": 0}

"""Functions attached to a VPC: Hyperplane ENIs, the execution role's EC2 rights, lost internet.

On AWS a function with `VpcConfig` (subnets and security groups) gets one Hyperplane elastic
network interface per subnet and security-group set, created while the function is `Pending`;
it becomes `Active` when they exist. The lab does the same with moto's EC2 backend:

- creating or updating such a function fails with `InvalidParameterValueException` when a
  subnet or security group does not exist, or when the execution role may not call
  `ec2:CreateNetworkInterface`, `ec2:DescribeNetworkInterfaces` and
  `ec2:DeleteNetworkInterface` (what the managed policy AWSLambdaVPCAccessExecutionRole
  grants); the messages are AWS's;
- the function is `Pending` for `PENDING_S` seconds of wall time (the lab's stand-in for
  ENI creation), then `Active`; invoking it while Pending fails with
  `ResourceConflictException`, as on AWS; lambda's `function_active` waiter works;
- its ENIs are visible in `ec2.describe_network_interfaces` with `InterfaceType` `lambda`,
  `RequesterManaged` true and the description `AWS Lambda VPC ENI-<function>-<uuid>`;
- its calls to AWS endpoints leave through its subnets only: they are held until the function
  times out (like a connection that never opens) unless a subnet's route table sends
  0.0.0.0/0 to a NAT gateway, or the VPC has an endpoint for that service (a gateway
  endpoint for S3 or DynamoDB associated with the subnet's route table, an interface
  endpoint for any service). Each such request is decided when it arrives, from moto's EC2
  state, so adding the route or endpoint fixes the next call.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from types import SimpleNamespace
from typing import Any

from course.lab.api_errors import lambda_error
from course.lab.iam.policy import Request, evaluate
from course.lab.iam.principals import Principal, execution_role_session

PENDING_S = 0.3  # the lab's stand-in for the time AWS takes to create the ENIs
ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
)
GATEWAY_SERVICES = ("s3", "dynamodb")
_state = SimpleNamespace(lab=None, installed=False)


def _error(message: str) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("InvalidParameterValueException", message)
    return error


def _ec2(account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def subnet_ids(config: dict | None) -> list[str]:
    """The subnets of a VpcConfig (none means the function is not in a VPC)."""
    return list((config or {}).get("SubnetIds") or [])


def check_vpc_config(
    lab: Any, function_name: str, role_arn: str, config: dict, region: str
) -> None:
    """Raise InvalidParameterValueException as AWS does for a VpcConfig it cannot use."""
    account = role_arn.split(":")[4]
    ec2 = _ec2(account, region)
    if lab.iam.enforce:
        session = execution_role_session(function_name, role_arn)
        policies = session.policies()
        for action in ENI_ACTIONS:
            decision = evaluate(Request(session.arn, action, "*"), policies)
            if not decision.allowed:
                operation = action.split(":")[1]
                raise _error(
                    "The provided execution role does not have permissions to call "
                    f"{operation} on EC2"
                )
    for subnet in subnet_ids(config):
        try:
            ec2.get_subnet(subnet)
        except Exception:  # noqa: BLE001 - moto raises InvalidSubnetIdError
            raise _error(
                "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. "
                f"EC2 Error Message: The subnet ID '{subnet}' does not exist"
            ) from None
    for group in config.get("SecurityGroupIds") or []:
        if ec2.get_security_group_from_id(group) is None:
            raise _error(
                "Error occurred while DescribeSecurityGroups. EC2 Error Code: "
                f"InvalidGroup.NotFound. EC2 Error Message: The security group '{group}' does "
                "not exist"
            )


def _create_enis(fn: Any) -> None:
    """One Hyperplane ENI per subnet (same security groups), then the function is Active."""
    config = fn._vpc_config or {}
    ec2 = _ec2(fn.account_id, fn.region)
    groups = list(config.get("SecurityGroupIds") or [])
    enis = []
    for subnet_id in subnet_ids(config):
        eni = ec2.create_network_interface(
            ec2.get_subnet(subnet_id),
            None,
            group_ids=groups,
            description=f"AWS Lambda VPC ENI-{fn.function_name}-{uuid.uuid4()}",
        )
        eni.interface_type = "lambda"
        eni.requester_managed = True
        eni.requester_id = "AROA" + uuid.uuid4().hex[:17].upper() + ":" + fn.function_name
        enis.append(eni.id)
    fn.lab_vpc_enis = enis
    fn.state = "Active"


def _delete_enis(fn: Any) -> None:
    ec2 = _ec2(fn.account_id, fn.region)
    for eni_id in getattr(fn, "lab_vpc_enis", []):
        ec2.enis.pop(eni_id, None)
    fn.lab_vpc_enis = []


def _attach(fn: Any) -> None:
    """Make the function Pending and create its ENIs in the background."""
    fn.state = "Pending"
    timer = threading.Timer(PENDING_S, _create_enis, args=(fn,))
    timer.daemon = True
    timer.start()


# -- network reachability of a VPC function's calls ------------------------------------------
def _route_tables(ec2: Any, subnet: Any) -> list[Any]:
    tables = list(ec2.route_tables.values())
    explicit = [t for t in tables if subnet.id in t._associations.values()]
    if explicit:
        return explicit
    return [t for t in tables if t.vpc_id == subnet.vpc_id and t.main_association_id]


def reachable(account: str, region: str, config: dict, service: str) -> bool:
    """Whether a function with VpcConfig `config` can reach `service`'s endpoint."""
    ec2 = _ec2(account, region)
    endpoints = list(ec2.vpc_end_points.values())
    wanted = f"com.amazonaws.{region}.{service}"
    for subnet_id in subnet_ids(config):
        subnet = ec2.get_subnet(subnet_id)
        tables = _route_tables(ec2, subnet)
        for table in tables:
            for route in table.routes:
                if route.destination_cidr_block == "0.0.0.0/0" and route.nat_gateway is not None:
                    return True
        for endpoint in endpoints:
            if endpoint.vpc_id != subnet.vpc_id or endpoint.service_name != wanted:
                continue
            if (endpoint.vpc_endpoint_type or "Gateway").lower() == "interface":
                return True
            if service in GATEWAY_SERVICES and {t.id for t in tables} & set(
                endpoint.route_table_ids or []
            ):
                return True
    return False


def hold_seconds(principal: Principal, service: str, region: str) -> float | None:
    """For the gate: how long to hold a VPC function's request it cannot send, else None."""
    from moto.awslambda.models import lambda_backends

    if principal.kind != "AssumedRole":
        return None
    try:
        fn = lambda_backends[principal.account][region].get_function(principal.name)
    except Exception:  # noqa: BLE001 - not a function's session
        return None
    if fn.role != principal.role_arn or not subnet_ids(fn._vpc_config):
        return None
    if reachable(principal.account, region, fn._vpc_config, service):
        return None
    return float(fn.timeout) + 1.0


# -- moto patches -----------------------------------------------------------------------------
def install(lab: Any) -> None:
    """Check VpcConfig, create ENIs, gate a VPC function's calls (patches installed once)."""
    _state.lab = lab
    lab.iam.unreachable = hold_seconds
    if _state.installed:
        return
    from moto.awslambda import models

    original_create = models.LambdaBackend.create_function
    original_update = models.LambdaBackend.update_function_configuration
    original_delete = models.LambdaBackend.delete_function
    original_invoke = models.LambdaFunction.invoke

    def create_function(self: Any, spec: dict) -> Any:
        config = spec.get("VpcConfig") or {}
        if subnet_ids(config):
            check_vpc_config(
                _state.lab, spec.get("FunctionName", ""), spec["Role"], config, self.region_name
            )
        fn = original_create(self, spec)
        if subnet_ids(config):
            _attach(self.get_function(fn.function_name))
        return fn

    def update_function_configuration(self: Any, name: str, qualifier: Any, body: dict) -> Any:
        if "VpcConfig" in body:
            fn = self.get_function(name, qualifier)
            config = body.get("VpcConfig") or {}
            if subnet_ids(config):
                role = body.get("Role") or fn.role
                check_vpc_config(_state.lab, fn.function_name, role, config, self.region_name)
            _delete_enis(fn)
        result = original_update(self, name, qualifier, body)
        if subnet_ids(body.get("VpcConfig")):
            _create_enis(self.get_function(name, qualifier))
        return result

    def delete_function(self: Any, name: str, qualifier: Any = None) -> Any:
        with contextlib.suppress(Exception):  # moto reports a missing function itself
            _delete_enis(self.get_function(name))
        return original_delete(self, name, qualifier)

    def invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        if fn.state == "Pending":
            raise lambda_error(
                409,
                "ResourceConflictException",
                "The operation cannot be performed at this time. The function is currently "
                "in the following state: Pending",
            )
        return original_invoke(fn, body, request_headers, response_headers)

    models.LambdaBackend.create_function = create_function
    models.LambdaBackend.update_function_configuration = update_function_configuration
    models.LambdaBackend.delete_function = delete_function
    models.LambdaFunction.invoke = invoke
    _state.installed = True

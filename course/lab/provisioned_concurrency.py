"""Provisioned concurrency: execution environments initialised ahead of time for a version.

moto 5.2.5 has no provisioned-concurrency API. `install()` adds Put/Get/Delete/List
ProvisionedConcurrencyConfig(s) to moto's Lambda responses. Putting a config on a published
version or an alias starts that many execution environments in the background with
AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency: the config is IN_PROGRESS until all of
them have run their init phase, then READY. Invocations are served by a free provisioned
environment first (no cold start, no Init Duration); beyond them they spill over to on-demand
environments, which start cold. Provisioned environments never expire while the config exists.

A config on an alias serves the versions the alias routes to: as on AWS, its environments are
split between the main version and the additional one by the RoutingConfig weights (largest
remainders, so the counts add up to the request), and each invocation the alias routes to a
version is served by that version's environments (course.lab.alias_routing). A config on a
version serves that version. The split is fixed when the config is put.

When an environment's init phase fails (the handler's module raises or cannot be imported),
the config becomes FAILED with StatusReason FUNCTION_ERROR_INIT_FAILURE. AWS's API reference
does not print this reason; it is the one CloudFormation reports ("Provisioned Concurrency
configuration failed to be applied. Reason: FUNCTION_ERROR_INIT_FAILURE", e.g. in
aws/aws-cdk#6016 and serverless/serverless#7250) and that LocalStack's AWS-validated test
records (localstack/localstack#13784).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.responses import LambdaResponse

from course.facts import fact
from course.lab.api_errors import lambda_error

PATH = (
    r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)"
    r"/provisioned-concurrency/?$"
)
TYPE = "provisioned-concurrency"  # AWS_LAMBDA_INITIALIZATION_TYPE of these environments
INIT_FAILURE = "FUNCTION_ERROR_INIT_FAILURE"  # StatusReason when an environment's init fails
STORE = "_course_provisioned_concurrency"  # on moto's backend, so a moto reset clears it
_running: list[Callable[[], Any]] = [lambda: None]


@dataclass
class Config:
    """One provisioned-concurrency config and the environments it keeps."""

    function_arn: str
    qualifier: str
    requested: int
    status: str = "IN_PROGRESS"
    allocated: int = 0
    reason: str | None = None
    last_modified: str = field(
        default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())
    )
    environment_ids: list[str] = field(default_factory=list)
    cancelled: bool = False

    def to_json(self, with_arn: bool = False) -> dict[str, Any]:
        """The config as the Lambda API returns it."""
        body = {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": self.allocated,
            "AllocatedProvisionedConcurrentExecutions": self.allocated,
            "Status": self.status,
            "LastModified": self.last_modified,
        }
        if self.reason:
            body["StatusReason"] = self.reason
        if with_arn:
            body["FunctionArn"] = f"{self.function_arn}:{self.qualifier}"
        return body


def install(running: Callable[[], Any]) -> None:
    """Add the provisioned-concurrency API to moto (before its server answers Lambda calls);
    `running()` gives the running lab, whose runtime starts the environments."""
    _running[0] = running
    LambdaResponse.put_provisioned_concurrency_config = _put
    LambdaResponse.get_provisioned_concurrency_config = _get
    LambdaResponse.delete_provisioned_concurrency_config = _delete
    LambdaResponse.list_provisioned_concurrency_configs = _list
    lambda_urls.url_paths[PATH] = LambdaResponse.dispatch


def configs(backend: Any) -> dict[tuple[str, str], Config]:
    """The provisioned-concurrency configs of one moto Lambda backend, by (function, qualifier)."""
    return backend.__dict__.setdefault(STORE, {})


def _name_and_qualifier(response: LambdaResponse) -> tuple[str, str | None]:
    name = unquote(response.path.split("/functions/", 1)[1].split("/", 1)[0])
    return name, response.querystring.get("Qualifier", [None])[0]


def _not_found(name: str, qualifier: str | None) -> Exception:
    return lambda_error(
        404,
        "ProvisionedConcurrencyConfigNotFoundException",
        f"No Provisioned Concurrency Config found for this function ({name}:{qualifier}).",
    )


def _put(self: LambdaResponse) -> tuple[int, dict[str, str], str]:
    name, qualifier = _name_and_qualifier(self)
    count = json.loads(self.body or "{}").get("ProvisionedConcurrentExecutions")
    if qualifier is None or qualifier == "$LATEST":
        raise InvalidParameterValueException(
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
        )
    fn = self.backend.get_function(name, qualifier)  # ResourceNotFoundException if unknown
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidParameterValueException(
            f"ProvisionedConcurrentExecutions must be a whole number of 1 or more, not {count!r}."
        )
    _check_limits(self.backend, fn.function_name, qualifier, count)
    store = configs(self.backend)
    old = store.pop((fn.function_name, qualifier), None)
    if old is not None:
        _release(old)
    config = Config(fn.function_arn.split(":$LATEST")[0], qualifier, count)
    store[(fn.function_name, qualifier)] = config
    plan = versions_served(self.backend, fn.function_name, qualifier, count)
    threading.Thread(target=_allocate, args=(plan, config), daemon=True).start()
    return 202, {}, json.dumps(config.to_json())


def _check_limits(backend: Any, name: str, qualifier: str, count: int) -> None:
    store = configs(backend)
    others = sum(c.requested for (n, q), c in store.items() if n == name and q != qualifier)
    reserved = backend.get_function(name).reserved_concurrency
    if reserved is not None and others + count > int(reserved):
        raise InvalidParameterValueException(
            "Requested Provisioned Concurrency should not be greater than the "
            f"reservedConcurrentExecution for function ({others + count} > {reserved})."
        )
    if reserved is None:
        from course.lab import control_plane

        taken = sum(int(f.reserved_concurrency or 0) for f in backend.list_functions())
        taken += sum(c.requested for (fname, q), c in configs(backend).items() if q != qualifier)
        minimum = fact("concurrency.unreserved_min")
        if control_plane.account_concurrency() - taken - count < minimum.value:
            raise InvalidParameterValueException(
                "Specified ConcurrentExecutions for function is greater than account's "
                "unreserved concurrency: the account must keep at least "
                f"{minimum} unreserved (concurrency.unreserved_min in the facts file)."
            )


def versions_served(backend: Any, name: str, qualifier: str, count: int) -> list[Any]:
    """The version of each of `count` environments: an alias's split by its weights."""
    fn = backend.get_function(name, qualifier)
    aliases = backend._lambdas._get_function_aliases(name)
    if qualifier not in aliases:
        return [fn] * count
    weights = {
        str(v): float(w)
        for v, w in (
            (aliases[qualifier].routing_config or {}).get("AdditionalVersionWeights") or {}
        ).items()
    }
    shares = {str(fn.version): 1.0 - sum(weights.values()), **weights}
    counts = {v: int(count * share) for v, share in shares.items()}
    by_remainder = sorted(shares, key=lambda v: counts[v] - count * shares[v])
    for version in by_remainder[: count - sum(counts.values())]:
        counts[version] += 1
    return [backend.get_function(name, v) for v, n in counts.items() for _ in range(n)]


def _allocate(plan: list[Any], config: Config) -> None:
    """Start and initialise one environment per version in `plan`; READY when all have
    finished, FAILED (FUNCTION_ERROR_INIT_FAILURE) when one's init phase fails."""
    from course.lab.runtime import _Call, _fingerprint

    lab = _running[0]()
    if lab is None:
        config.status, config.reason = "FAILED", "The lab is not running."
        return
    runtime = lab.runtime
    for fn in plan:
        if config.cancelled:
            return
        with runtime._lock:
            env = runtime._create(fn, _fingerprint(fn), TYPE)
            env.busy = True
            runtime._environments.append(env)
        # The current generation: a call of an older one (before a reset()) is ended at once.
        call = _Call(fn, "provisioning", TYPE, time.time(), "{}", generation=runtime._generation)
        ready = runtime._wait_ready(env, call)
        if ready is not None:
            call.output.drain(env.log_fd)  # what init printed, up to the ready message
        init_logs = call.output.take()
        failed = ready is None or ready.get("init_failed", False)
        with runtime._lock:
            env.busy = False
        if failed:
            runtime._release(env, alive=False)
            config.status, config.reason = "FAILED", INIT_FAILURE
            return
        env.init_logs = init_logs
        config.environment_ids.append(env.id)
        config.allocated += 1
    if config.cancelled:
        _release(config)
    else:
        config.status = "READY"


def _release(config: Config) -> None:
    """End the idle environments of a deleted or replaced config; busy ones become on-demand."""
    config.cancelled = True
    lab = _running[0]()
    if lab is None:
        return
    for env in lab.runtime.environments():
        if env.id in config.environment_ids:
            env.initialization_type = "on-demand"  # expires like any other from now on
            if not env.busy:
                lab.runtime._release(env, alive=False)


def _get(self: LambdaResponse) -> tuple[int, dict[str, str], str]:
    name, qualifier = _name_and_qualifier(self)
    fn = self.backend.get_function(name)
    config = configs(self.backend).get((fn.function_name, qualifier or ""))
    if config is None:
        raise _not_found(name, qualifier)
    return 200, {}, json.dumps(config.to_json())


def _delete(self: LambdaResponse) -> tuple[int, dict[str, str], str]:
    name, qualifier = _name_and_qualifier(self)
    fn = self.backend.get_function(name)
    config = configs(self.backend).pop((fn.function_name, qualifier or ""), None)
    if config is None:
        raise _not_found(name, qualifier)
    _release(config)
    return 204, {}, ""


def _list(self: LambdaResponse) -> tuple[int, dict[str, str], str]:
    name, _ = _name_and_qualifier(self)
    fn = self.backend.get_function(name)
    store = configs(self.backend)
    found = [c.to_json(True) for (n, _q), c in store.items() if n == fn.function_name]
    return 200, {}, json.dumps({"ProvisionedConcurrencyConfigs": found})

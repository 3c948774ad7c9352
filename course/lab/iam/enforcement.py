"""The lab's IAM gate: every request to the moto server is authorised before moto sees it.

The gate wraps moto's WSGI dispatcher. For each signed request it finds the service and
operation (course.lab.iam.actions), the caller (course.lab.iam.principals) and, for callers the lab
enforces (STS assumed-role sessions such as a handler's, and IAM users the learner creates),
evaluates the call against their policies read live from moto's IAM backend
(course.lab.iam.policy). A denied call gets AWS's error for that service (S3's AccessDenied in XML,
AccessDeniedException in JSON for DynamoDB, Lambda, Secrets Manager..., SNS's
AuthorizationError) with AWS's message, and never reaches moto. The lab's own key (the
learner's notebook identity) is the account's administrator and is never refused.

Every decision about an enforced caller is kept (`Gate.records`) for explanations and
least-privilege drafts; management events and denials go to CloudTrail (course.lab.iam.cloudtrail).

moto's own IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT) stays off: it matches resources for
S3, SQS, IAM and STS only and answers JSON services in XML. This gate does not verify SigV4
signatures; keys identify the caller.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from course.lab.iam import cloudtrail, managed_policies
from course.lab.iam.actions import UNCHECKED, Call, _model, describe, parse_http
from course.lab.iam.policy import Decision, Request, evaluate
from course.lab.iam.principals import BackendLookup, Principal, function_policy, resolve

DEFAULT_ACCOUNT = "123456789012"
MAX_RECORDS = 10_000  # decisions kept per lab (oldest dropped first)
# Error code of a denial per service; JSON services not listed say AccessDeniedException.
_CODES = {
    "s3": "AccessDenied",
    "sns": "AuthorizationError",
    "iam": "AccessDenied",
    "sts": "AccessDenied",
    "sqs": "AccessDenied",
}
_QUERY_NAMESPACES = {
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


@dataclass(frozen=True)
class AccessRecord:
    """One permission check of an enforced caller: what it asked for and the decision."""

    time: datetime
    principal: Principal
    call: Call
    action: str
    resource: str
    decision: Decision = field(repr=False)

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


class Gate:
    """Authorises requests for one lab; `enforce` False lets everything through (still audited)."""

    def __init__(self, enforce: bool = True):
        self.enforce = enforce
        self.records: deque[AccessRecord] = deque(maxlen=MAX_RECORDS)
        self._lock = threading.Lock()
        self._lookup = BackendLookup()
        # Set by course.lab.vpc: seconds to hold a request the caller's network cannot send
        # (a VPC function without a route to the service), or None when it can.
        self.unreachable: Callable[[Principal, str, str], float | None] | None = None

    def reset(self) -> None:
        """Forget every recorded decision."""
        with self._lock:
            self.records.clear()

    def denials(self) -> list[AccessRecord]:
        """Every denied check, oldest first."""
        with self._lock:
            return [r for r in self.records if not r.allowed]

    def authorize(self, principal: Principal, call: Call) -> list[AccessRecord]:
        """Evaluate every permission `call` needs; record and return the decisions."""
        now = datetime.now(UTC)
        found = []
        policies = principal.policies()
        context = {
            "aws:PrincipalArn": principal.role_arn or principal.arn,
            "aws:PrincipalAccount": principal.account,
            "aws:PrincipalType": principal.kind,
            "aws:RequestedRegion": call.region,
            "aws:SecureTransport": "false",
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **({"aws:username": principal.name} if principal.kind == "IAMUser" else {}),
            **call.context,
        }
        for action, resource in call.checks:
            extra = []
            if action.startswith("lambda:") and ":function:" in resource:
                extra = [
                    p for p in [function_policy(principal.account, call.region, resource)] if p
                ]
            request = Request(principal.arn, action, resource, context)
            decision = evaluate(request, [*policies, *extra])
            found.append(AccessRecord(now, principal, call, action, resource, decision))
        with self._lock:
            self.records.extend(found)
        return found

    def handle(
        self, environ: dict[str, Any], start_response: Any, app: Callable[[Any], Any]
    ) -> Any:
        """Handle one WSGI request: refuse it, or pass it to moto (`app(start_response)`)."""
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return app(start_response)
        credential = _credential(environ)
        if credential is None:
            return app(start_response)
        key, region, signing_name = credential
        body = _buffer_body(environ)
        headers = _headers(environ)
        try:
            parsed = parse_http(
                signing_name,
                environ.get("REQUEST_METHOD", "GET"),
                environ.get("PATH_INFO", "/"),
                environ.get("QUERY_STRING", ""),
                headers,
                body,
            )
        except Exception:  # noqa: BLE001 - a request the gate cannot read is moto's to answer
            parsed = None
        if parsed is None:
            return app(start_response)
        service, operation, params = parsed
        principal = resolve(key)
        check = self.unreachable
        hold_s = check(principal, signing_name, region) if check and principal else None
        if hold_s is not None:
            time.sleep(hold_s)  # like a connection that never opens: the caller times out
            start_response("504 Gateway Timeout", [("Content-Length", "0")])
            return [b""]
        account = principal.account if principal else DEFAULT_ACCOUNT
        call = describe(service, operation, params, region, account, self._lookup)
        identity, username = _identity(principal, key, account)
        agent = headers.get("user-agent", "")
        if principal is not None and not any(a in UNCHECKED for a, _ in call.checks):
            denied = [r for r in self.authorize(principal, call) if not r.allowed]
            if denied and self.enforce:
                decision = denied[0].decision
                code = _CODES.get(service, "AccessDeniedException")
                cloudtrail.record(
                    account=account,
                    region=region,
                    identity=identity,
                    username=username,
                    call=call,
                    error_code=code,
                    error_message=decision.message(),
                    user_agent=agent,
                )
                return _deny(service, code, decision.message(), start_response)
        status: list[str] = []

        def capture(code: str, response_headers: Any, exc_info: Any = None) -> Any:
            status.append(code)
            return start_response(code, response_headers, exc_info)

        result = app(capture)
        if status and int(status[0].split()[0]) < 400 and _audited(call):
            cloudtrail.record(
                account=account,
                region=region,
                identity=identity,
                username=username,
                call=call,
                user_agent=agent,
            )
        return result


_active: dict[str, Gate | None] = {"gate": None}
_original: dict[str, Callable[..., Any]] = {}


def install(gate: Gate) -> None:
    """Put `gate` in front of moto's server dispatcher (the patch itself is installed once)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    cloudtrail.install()
    managed_policies.install()
    _active["gate"] = gate
    if _original:
        return
    _original["call"] = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        current = _active["gate"]
        original = _original["call"]
        if current is None:
            return original(self, environ, start_response)
        return current.handle(
            environ, start_response, lambda respond: original(self, environ, respond)
        )

    DomainDispatcherApplication.__call__ = __call__


def uninstall(gate: Gate) -> None:
    """Take `gate` out (when its lab stops)."""
    if _active["gate"] is gate:
        _active["gate"] = None


def _audited(call: Call) -> bool:
    return not call.data_event and not call.read_only and call.service != "cloudtrail"


def _credential(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """(access key id, region, signing name) from a SigV4 Authorization header or query."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = ""
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",")[0].strip()
    else:
        from urllib.parse import parse_qs

        scope = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
    parts = scope.split("/")
    if len(parts) < 5:
        return None
    return parts[0], parts[2], parts[3]


def _buffer_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _identity(principal: Principal | None, key: str, account: str) -> tuple[dict[str, Any], str]:
    """CloudTrail's userIdentity block and the Username LookupEvents filters on."""
    if principal is None:
        arn = f"arn:aws:iam::{account}:root"
        return {
            "type": "Root",
            "principalId": account,
            "arn": arn,
            "accountId": account,
            "accessKeyId": key,
        }, "root"
    identity = {
        "type": principal.kind,
        "principalId": principal.principal_id,
        "arn": principal.arn,
        "accountId": principal.account,
        "accessKeyId": key,
    }
    if principal.kind == "IAMUser":
        identity["userName"] = principal.name
    else:
        role_name = (principal.role_arn or "").rsplit("/", 1)[-1]
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": principal.principal_id.split(":")[0],
                "arn": principal.role_arn,
                "accountId": principal.account,
                "userName": role_name,
            },
            "attributes": {"mfaAuthenticated": "false"},
        }
    return identity, principal.name


def _deny(service: str, code: str, message: str, start_response: Any) -> list[bytes]:
    """AWS's denial for `service`, in its protocol (XML for S3 and query APIs, JSON otherwise)."""
    request_id = str(uuid.uuid4())
    model = _model(service)
    protocol = model.metadata["protocol"] if model is not None else "json"
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "rest-xml":
        status = "403 Forbidden"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    elif protocol == "query":
        status = "403 Forbidden"
        namespace = _QUERY_NAMESPACES.get(service, f"https://{service}.amazonaws.com/")
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "rest-json":
        status = "403 Forbidden"
        body = json.dumps({"Type": "User", "Message": message, "message": message})
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    else:
        version = model.metadata.get("jsonVersion", "1.1") if model is not None else "1.1"
        query_compatible = model is not None and "awsQueryCompatible" in model.metadata
        status = "403 Forbidden" if query_compatible else "400 Bad Request"
        body = json.dumps({"__type": code, "message": message})
        headers.append(("Content-Type", f"application/x-amz-json-{version}"))
        if query_compatible:
            headers.append(("x-amzn-query-error", f"{code};Sender"))
    data = body.encode()
    headers.append(("Content-Length", str(len(data))))
    start_response(status, headers)
    return [data]

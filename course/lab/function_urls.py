"""Lambda function URLs, served over real HTTP on 127.0.0.1.

moto stores `create_function_url_config` and answers with an AWS-shaped URL
(`https://<url-id>.lambda-url.<region>.on.aws`) that nothing serves. The lab serves every
function URL from one small HTTP server it owns: `lab.function_url(name)` gives
`http://127.0.0.1:<port>/<url-id>/`, and the path after the URL id is the request's path.
As on AWS:

- `AuthType` `AWS_IAM`: the request must be signed with SigV4 (service `lambda`) by an
  identity whose policies (or the function's resource-based policy) allow
  `lambda:InvokeFunctionUrl` on the function; unsigned, badly signed or not allowed gets 403
  `{"Message":"Forbidden"}` and the function does not run. The lab's own administrator
  identity is allowed, and with `lab.enforce_iam = False` every valid signature is.
- `AuthType` `NONE`: anyone may call it, but only if the function's resource-based policy
  allows `lambda:InvokeFunctionUrl` to Principal `*` with the condition
  `lambda:FunctionUrlAuthType` `NONE` (`add_permission(..., FunctionUrlAuthType="NONE")`);
  otherwise 403 `{"Message":"Forbidden"}`.
- The function gets the payload format 2.0 event; its answer becomes the HTTP response
  (`statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded`), or, when it returns
  something without `statusCode`, a 200 with that JSON as the body. A function error gives
  502 `Internal Server Error`.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from course.lab.iam.actions import Call
from course.lab.iam.policy import Request, evaluate
from course.lab.iam.principals import function_policy, resolve
from course.lab.iam.resource_policy import invoked_arn
from course.lab.loopback_http import started

FORBIDDEN = (403, b'{"Message":"Forbidden"}')
INTERNAL_ERROR = (502, b"Internal Server Error")
ACTION = "lambda:InvokeFunctionUrl"
_state = SimpleNamespace(lab=None, installed=False)


class FunctionUrlError(Exception):
    """An answer from the function URL service itself: status code and body."""

    def __init__(self, answer: tuple[int, bytes], reason: str):
        super().__init__(reason)
        self.status, self.body = answer


def url_id(config: Any) -> str:
    """The `<url-id>` of a moto FunctionUrlConfig."""
    return config.url.split("//", 1)[1].split(".", 1)[0]


def _find(url_key: str) -> Any:
    from moto.awslambda.models import lambda_backends

    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            for fn in list(backend._lambdas.all()):
                config = getattr(fn, "url_config", None)
                if config is not None and url_id(config) == url_key:
                    return config
    raise FunctionUrlError(FORBIDDEN, f"No function URL has the id {url_key}.")


# -- authentication and authorisation ----------------------------------------------------
def _signature_parts(authorization: str) -> dict[str, str]:
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return {}
    parts = {}
    for piece in authorization[len("AWS4-HMAC-SHA256 ") :].split(","):
        name, _, value = piece.strip().partition("=")
        parts[name] = value
    return parts


def _secret_for(access_key: str) -> tuple[str, str | None] | None:
    """(secret key, session token) of a lab identity's access key, or None if unknown."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    if access_key == "testing":  # the lab's administrator (course.lab.local_aws._ENV)
        return "testing", None
    for account in list(sts_backends):
        for backend in list(sts_backends[account].values()):
            for role in list(backend.assumed_roles):
                if role.access_key_id == access_key:
                    return role.secret_access_key, role.session_token
    for account in list(iam_backends):
        user = iam_backends[account]["global"].get_user_from_access_key_id(access_key)
        if user is not None:
            key = next(k for k in user.access_keys if k.access_key_id == access_key)
            return key.secret_access_key, None
    return None


def verify_sigv4(
    method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[str, str] | None:
    """(access key, region) when the request carries a valid SigV4 signature for `lambda`."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    lowered = {k.lower(): v for k, v in headers.items()}
    parts = _signature_parts(lowered.get("authorization", ""))
    scope = parts.get("Credential", "").split("/")
    if len(scope) != 5 or scope[3] != "lambda" or "x-amz-date" not in lowered:
        return None
    access_key, region = scope[0], scope[2]
    secret = _secret_for(access_key)
    if secret is None:
        return None
    signed = parts.get("SignedHeaders", "").split(";")
    request = AWSRequest(
        method=method, url=url, data=body, headers={h: lowered[h] for h in signed if h in lowered}
    )
    request.context["timestamp"] = lowered["x-amz-date"]
    auth = SigV4Auth(Credentials(access_key, secret[0], secret[1]), "lambda", region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    return (access_key, region) if expected == parts.get("Signature") else None


def _authorize_iam(
    function_arn: str, method: str, url: str, headers: dict[str, str], body: bytes
) -> dict:
    """The `requestContext.authorizer.iam` of an allowed signed request, else 403."""
    verified = verify_sigv4(method, url, headers, body)
    if verified is None:
        raise FunctionUrlError(FORBIDDEN, "The request is not signed with a valid SigV4 signature.")
    access_key, region = verified
    principal = resolve(access_key)
    account = function_arn.split(":")[4]
    if principal is None:  # the lab's administrator
        arn, caller, caller_account = f"arn:aws:iam::{account}:root", account, account
    else:
        arn, caller, caller_account = principal.arn, principal.principal_id, principal.account
        call = Call(
            "lambda",
            "InvokeFunctionUrl",
            region,
            ((ACTION, function_arn),),
            {"lambda:FunctionUrlAuthType": "AWS_IAM"},
        )
        (record,) = _state.lab.iam.authorize(principal, call)
        if not record.allowed and _state.lab.iam.enforce:
            raise FunctionUrlError(FORBIDDEN, record.decision.message())
    return {
        "iam": {
            "accessKey": access_key,
            "accountId": caller_account,
            "callerId": caller,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": arn,
            "userId": caller,
        }
    }


def public_access_allowed(function_arn: str) -> bool:
    """Whether the function's resource-based policy lets anyone call its NONE-auth URL."""
    parts = function_arn.split(":")
    policy = function_policy(parts[4], parts[3], function_arn)
    context = {"lambda:FunctionUrlAuthType": "NONE"}
    request = Request("anonymous", ACTION, function_arn, context)
    return evaluate(request, [policy] if policy else []).allowed


# -- the event and the response ------------------------------------------------------------
def url_event(
    *,
    config: Any,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    authorizer: dict | None,
) -> dict:
    """The payload format 2.0 event a function URL sends for one request."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        if name.lower() == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    domain = config.url.split("//", 1)[1].rstrip("/")
    now = time.time()
    context: dict[str, Any] = {
        "accountId": authorizer["iam"]["accountId"] if authorizer else "anonymous",
        "apiId": url_id(config),
        "domainName": domain,
        "domainPrefix": url_id(config),
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = params
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def http_response(answer: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """The HTTP response for what the function returned (AWS infers it without statusCode)."""
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return 200, [("Content-Type", "application/json")], json.dumps(answer).encode()
    body = answer.get("body") or ""
    if not isinstance(body, str):
        body = json.dumps(body)
    data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
    headers = [(k, str(v)) for k, v in (answer.get("headers") or {}).items()]
    headers += [("Set-Cookie", c) for c in answer.get("cookies") or []]
    return int(answer["statusCode"]), headers, data


# -- the server -------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    """Serves /<url-id>/<path> for every function URL in moto."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # no line per request in notebooks
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, headers, data = self._answer(body)
        except FunctionUrlError as exc:
            status, data = exc.status, exc.body
            kind = "AccessDeniedException" if exc.status == 403 else "ServiceException"
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", kind)]
        self.send_response(status)
        if "content-type" not in {k.lower() for k, _ in headers}:
            headers.append(("Content-Type", "application/json"))
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _answer(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        url = urlsplit(self.path)
        url_key, _, rest = url.path.lstrip("/").partition("/")
        config = _find(url_key)
        fn = config.function
        arn = invoked_arn(fn.function_arn)
        headers = list(self.headers.items())
        authorizer = None
        if config.config.get("AuthType") == "AWS_IAM":
            full_url = f"http://{self.headers.get('Host', '')}{self.path}"
            authorizer = _authorize_iam(arn, self.command, full_url, dict(headers), body)
        elif not public_access_allowed(arn):
            raise FunctionUrlError(FORBIDDEN, "No resource-based policy allows public access.")
        event = url_event(
            config=config,
            method=self.command,
            path="/" + rest,
            query=url.query,
            headers=headers,
            body=body,
            source_ip=self.client_address[0],
            authorizer=authorizer,
        )
        response_headers: dict[str, str] = {}
        try:
            payload = fn.invoke(
                json.dumps(event), {"X-Amz-Invocation-Type": "RequestResponse"}, response_headers
            )
            answer = json.loads(payload or b"null")
        except Exception as exc:  # noqa: BLE001 - throttling, KMS: the URL says 502
            raise FunctionUrlError(INTERNAL_ERROR, f"Invoking the function failed: {exc}") from None
        if response_headers.get("x-amz-function-error"):
            raise FunctionUrlError(INTERNAL_ERROR, "The function returned an error.")
        try:
            return http_response(answer)
        except (ValueError, TypeError) as exc:
            raise FunctionUrlError(INTERNAL_ERROR, f"Malformed response: {exc}") from None

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


def function_url(lab: Any, function_name: str, region: str) -> str:
    """The lab URL serving `function_name`'s function URL, starting the server on first use.

    Raises ResourceNotFoundException (as GetFunctionUrlConfig does) when it has none.
    """
    client = lab._client("lambda", region)
    config = client.get_function_url_config(FunctionName=function_name)
    key = config["FunctionUrl"].split("//", 1)[1].split(".", 1)[0]
    server = started(lab, "function_url_server", _Handler)
    return f"http://127.0.0.1:{server.port}/{key}/"


def install(lab: Any) -> None:
    """Let add_permission take FunctionUrlAuthType, as AWS does (moto drops it); once."""
    _state.lab = lab
    lab.function_url_server = None
    if _state.installed:
        return
    from moto.awslambda.policy import Policy

    original_decode = Policy.decode_policy

    def decode_policy(self: Any, obj: dict[str, Any]) -> Any:
        auth_type = obj.pop("FunctionUrlAuthType", None)
        policy = original_decode(self, obj)
        if auth_type:
            condition = policy.statements[-1].setdefault("Condition", {})
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = auth_type
        return policy

    Policy.decode_policy = decode_policy
    _state.installed = True

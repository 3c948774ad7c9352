"""API Gateway REST APIs with Lambda proxy integration, served over real HTTP on 127.0.0.1.

moto stores REST APIs but cannot run an `AWS_PROXY` integration. The lab serves every
deployed stage from one small HTTP server it owns: `lab.api_url(rest_api_id, stage)` gives
the base URL. A request is matched against the API's resources in moto (literal path parts
first, then `{name}`, then `{proxy+}`), turned into the proxy event (payload version 1.0),
and the function runs synchronously. Its `statusCode`, `headers`, `multiValueHeaders`, `body`
and `isBase64Encoded` make the HTTP response, as on AWS:

- no resource or method for the path: 403 `{"message":"Missing Authentication Token"}`;
- unknown API or stage: 403 `{"message":"Forbidden"}`;
- the function fails, or returns something that is not a proxy response: 502
  `{"message": "Internal server error"}`;
- the function's resource-based policy does not allow `apigateway.amazonaws.com` for the
  method's ARN (`arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH`, set with
  `lambda add_permission` and SourceArn): 500 `{"message": "Internal server error"}`, and the
  function does not run (AWS's execution log says "Invalid permissions on Lambda function");
- a method with `authorizationType="COGNITO_USER_POOLS"` needs a valid Cognito ID token in
  the authorizer's identity source header (`Authorization`, with or without `Bearer `), else
  401 `{"message":"Unauthorized"}`; the token's claims reach the handler in
  `requestContext.authorizer.claims`, every value a string as AWS sends them.

The lab serves the API's current resources (AWS serves the last deployment's snapshot).
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from course.lab import alias_routing
from course.lab.iam.resource_policy import missing_permission, service_may_invoke
from course.lab.loopback_http import started

INTERNAL_ERROR = (502, {"message": "Internal server error"})
PERMISSION_ERROR = (500, {"message": "Internal server error"})
APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
MISSING_TOKEN = (403, {"message": "Missing Authentication Token"})
FORBIDDEN = (403, {"message": "Forbidden"})
UNAUTHORIZED = (401, {"message": "Unauthorized"})
_FUNCTION_IN_URI = re.compile(r"/functions/(?P<arn>[^/]+)/invocations$")


class ApiGatewayError(Exception):
    """An API Gateway answer that is not the function's: status code and JSON body."""

    def __init__(self, answer: tuple[int, dict], reason: str):
        super().__init__(reason)
        self.status, self.body = answer


def _find_api(api_id: str) -> tuple[Any, str, str]:
    """The moto RestAPI `api_id` with its account and region, or ApiGatewayError 403."""
    from moto.apigateway.models import apigateway_backends

    for account, regions in list(apigateway_backends.items()):
        for region, backend in list(regions.items()):
            if api_id in backend.apis:
                return backend.apis[api_id], account, region
    raise ApiGatewayError(FORBIDDEN, f"There is no REST API {api_id}.")


def _match(template: list[str], parts: list[str]) -> tuple[list[int], dict[str, str]] | None:
    """How specifically `template` matches `parts` (0 literal, 1 `{name}`, 2 `{name+}`)."""
    params: dict[str, str] = {}
    rank: list[int] = []
    for i, piece in enumerate(template):
        if piece.startswith("{") and piece.endswith("+}"):
            if i != len(template) - 1 or i >= len(parts):
                return None
            params[piece[1:-2]] = "/".join(parts[i:])
            return [*rank, 2], params
        if i >= len(parts):
            return None
        if piece.startswith("{") and piece.endswith("}"):
            params[piece[1:-1]] = parts[i]
            rank.append(1)
        elif piece == parts[i]:
            rank.append(0)
        else:
            return None
    return (rank, params) if len(template) == len(parts) else None


def match_resource(api: Any, path: str) -> tuple[Any, dict[str, str]] | None:
    """The API resource serving `path` and its path parameters (most specific match wins)."""
    parts = [p for p in path.split("/") if p]
    best = None
    for resource in list(api.resources.values()):
        found = _match([p for p in resource.get_path().split("/") if p], parts)
        if found and (best is None or found[0] < best[0]):
            best = (found[0], resource, found[1])
    return (best[1], best[2]) if best else None


def _stringify_claim(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def verify_cognito_token(token: str, provider_arns: list[str]) -> dict[str, str]:
    """The claims of a valid, unexpired Cognito ID token from one of the user pools, else 401.

    The signature is checked with the pool's own key (moto signs with it), then the issuer,
    `token_use` (must be `id`) and `exp`.
    """
    from joserfc import jwt
    from moto.cognitoidp.models import cognitoidp_backends

    for arn in provider_arns or []:
        _, _, _, region, account, resource = arn.split(":", 5)
        pool = cognitoidp_backends[account][region].user_pools.get(resource.split("/", 1)[-1])
        if pool is None:
            continue
        try:
            claims = jwt.decode(token, pool.json_web_key).claims
        except Exception:  # noqa: BLE001 - any malformed or forged token is simply refused
            continue
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool.id}"
        if (
            claims.get("iss") == issuer
            and claims.get("token_use") == "id"
            and float(claims.get("exp", 0)) > time.time()
        ):
            return {k: _stringify_claim(v) for k, v in claims.items()}
    raise ApiGatewayError(UNAUTHORIZED, "The token is missing, invalid or expired.")


def _authorize(api: Any, method: Any, headers: dict[str, str]) -> dict | None:
    """The requestContext.authorizer for a Cognito-protected method (None for open methods)."""
    if method.authorization_type != "COGNITO_USER_POOLS":
        return None
    authorizer = api.authorizers.get(method.authorizer_id)
    if authorizer is None:
        raise ApiGatewayError(INTERNAL_ERROR, "The method's authorizer does not exist.")
    source = authorizer.identity_source or "method.request.header.Authorization"
    header = source.rsplit(".", 1)[-1].lower()
    token = next((v for k, v in headers.items() if k.lower() == header), "")
    token = token[7:] if token.lower().startswith("bearer ") else token
    if not token:
        raise ApiGatewayError(UNAUTHORIZED, f"No token in the {header} header.")
    return {"claims": verify_cognito_token(token, authorizer.provider_arns)}


def proxy_event(
    *,
    api_id: str,
    account: str,
    region: str,
    stage: Any,
    resource: Any,
    path_params: dict[str, str],
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    authorizer: dict | None,
) -> dict:
    """The Lambda proxy integration event (payload version 1.0) for one request."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    try:
        text, encoded = (body.decode("utf-8"), False) if body else (None, False)
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    now = time.time()
    user_agent = multi_headers.get("User-Agent", [None])[-1]
    context: dict[str, Any] = {
        "resourceId": resource.id,
        "resourcePath": resource.get_path(),
        "httpMethod": method,
        "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:9]).decode(),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{stage.name}{path}",
        "accountId": account,
        "protocol": "HTTP/1.1",
        "stage": stage.name,
        "domainPrefix": api_id,
        "requestTimeEpoch": int(now * 1000),
        "requestId": str(uuid.uuid4()),
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": user_agent,
            "user": None,
        },
        "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
        "apiId": api_id,
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": resource.get_path(),
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None,
        "stageVariables": dict(stage.variables) or None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": encoded,
    }


def execute_api_arn(region: str, event: dict) -> str:
    """The SourceArn API Gateway presents: ...:API_ID/STAGE/METHOD/RESOURCE_PATH."""
    context = event["requestContext"]
    return (
        f"arn:aws:execute-api:{region}:{context['accountId']}:{context['apiId']}/"
        f"{context['stage']}/{context['httpMethod']}{context['resourcePath']}"
    )


def _invoke(uri: str, event: dict, region: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run the integration's function and turn its proxy response into an HTTP answer."""
    from moto.awslambda.models import lambda_backends

    match = _FUNCTION_IN_URI.search(uri or "")
    if not match:
        raise ApiGatewayError(INTERNAL_ERROR, f"The integration URI {uri!r} names no function.")
    arn = match.group("arn")
    source_arn, account = execute_api_arn(region, event), event["requestContext"]["accountId"]
    decision = service_may_invoke(arn, APIGATEWAY_PRINCIPAL, source_arn, account)
    if not decision.allowed:
        raise ApiGatewayError(
            PERMISSION_ERROR,
            "Execution failed due to configuration error: Invalid permissions on Lambda "
            f"function. {missing_permission(decision, source_arn, account)}",
        )
    response_headers: dict[str, str] = {}
    try:
        fn_backend = lambda_backends[arn.split(":")[4]][arn.split(":")[3]]
        fn = alias_routing.resolve(fn_backend, arn)
        with alias_routing.invoked_as(fn_backend, arn):
            payload = fn.invoke(
                json.dumps(event), {"X-Amz-Invocation-Type": "RequestResponse"}, response_headers
            )
    except Exception as exc:  # noqa: BLE001 - missing function, throttling: API GW says 502
        raise ApiGatewayError(INTERNAL_ERROR, f"Invoking {arn} failed: {exc}") from None
    if response_headers.get("x-amz-function-error"):
        raise ApiGatewayError(INTERNAL_ERROR, "The function returned an error.")
    try:
        answer = json.loads(payload)
        status = int(answer["statusCode"])
        body = answer.get("body") or ""
        if not isinstance(body, str):
            raise TypeError("body must be a string")
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
        headers = [(k, str(v)) for k, v in (answer.get("headers") or {}).items()]
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers += [(name, str(v)) for v in values]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ApiGatewayError(INTERNAL_ERROR, f"Malformed Lambda proxy response: {exc}") from None
    return status, headers, data


class _Handler(BaseHTTPRequestHandler):
    """Serves /{rest_api_id}/{stage}/{path} for every REST API in moto."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # no line per request in notebooks
        pass

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, headers, data = self._answer(url, body)
        except ApiGatewayError as exc:
            status, data = exc.status, json.dumps(exc.body).encode()
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", str(exc))]
        self.send_response(status)
        names = {k.lower() for k, _ in headers}
        if "content-type" not in names:
            headers.append(("Content-Type", "application/json"))
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _answer(self, url: Any, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        pieces = url.path.split("/", 3)
        if len(pieces) < 3 or not pieces[2]:
            raise ApiGatewayError(FORBIDDEN, "The URL names no API and stage.")
        api_id, stage_name = pieces[1], pieces[2]
        path = "/" + (pieces[3] if len(pieces) > 3 else "")
        api, account, region = _find_api(api_id)
        stage = api.stages.get(stage_name)
        if stage is None:
            raise ApiGatewayError(FORBIDDEN, f"API {api_id} has no stage {stage_name}.")
        found = match_resource(api, path)
        if found is None:
            raise ApiGatewayError(MISSING_TOKEN, f"No resource matches {path}.")
        resource, params = found
        methods = resource.resource_methods
        method = methods.get(self.command) or methods.get("ANY")
        if method is None:
            raise ApiGatewayError(MISSING_TOKEN, f"No {self.command} method on {path}.")
        headers = list(self.headers.items())
        authorizer = _authorize(api, method, dict(headers))
        integration = method.method_integration
        if integration is None or integration.integration_type != "AWS_PROXY":
            kind = integration.integration_type if integration else "no"
            raise ApiGatewayError(
                INTERNAL_ERROR, f"The lab runs AWS_PROXY integrations only; this is {kind}."
            )
        event = proxy_event(
            api_id=api_id,
            account=account,
            region=region,
            stage=stage,
            resource=resource,
            path_params=params,
            method=self.command,
            path=path,
            query=parse_qsl(url.query, keep_blank_values=True),
            headers=headers,
            body=body,
            source_ip=self.client_address[0],
            authorizer=authorizer,
        )
        return _invoke(integration.uri, event, region)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


def stage_url(lab: Any, rest_api_id: str, stage: str) -> str:
    """The base URL of a deployed stage, starting the lab's API server on first use.

    Raises NotFoundException (as AWS's GetStage does) when the API or stage does not exist.
    """
    from moto.apigateway.exceptions import NotFoundException

    try:
        api, _, _ = _find_api(rest_api_id)
    except ApiGatewayError:
        raise NotFoundException(f"Invalid API identifier specified {rest_api_id}") from None
    if stage not in api.stages:
        raise NotFoundException(
            f"Invalid stage identifier specified: {stage} (deploy the API with "
            "create_deployment(restApiId=..., stageName=...) first)"
        )
    server = started(lab, "apigateway_server", _Handler)
    return f"http://127.0.0.1:{server.port}/{rest_api_id}/{stage}"


def install(lab: Any) -> None:
    """Nothing to patch in moto: the server starts on the first `lab.api_url(...)`."""
    lab.apigateway_server = None

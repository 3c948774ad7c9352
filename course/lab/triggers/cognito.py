"""Cognito user pool Lambda triggers: PreSignUp, PostConfirmation and PreTokenGeneration.

moto stores a pool's `LambdaConfig` but invokes nothing. Here the triggers run synchronously
inside the API call, as on AWS, with events shaped like the course's samples:

- PreSignUp runs on `sign_up` before the user exists. If it raises, `sign_up` fails with
  `UserLambdaValidationException` ("PreSignUp failed with error <message>.") and no user is
  created. Its `autoConfirmUser`, `autoVerifyEmail` and `autoVerifyPhone` answers are honoured.
- PostConfirmation runs after `confirm_sign_up` / `admin_confirm_sign_up`, and after an
  auto-confirmed sign-up. If it raises, the user stays confirmed and the call fails with
  `UserLambdaValidationException`.
- PreTokenGeneration (event version 1) runs before an ID token is issued by `initiate_auth` /
  `admin_initiate_auth` (TokenGeneration_Authentication, or _RefreshTokens for a refresh).
  Its `claimsOverrideDetails` is applied to the ID token: `claimsToAddOrOverride`,
  `claimsToSuppress` and `groupOverrideDetails.groupsToOverride` (as `cognito:groups`).
  Claims Cognito protects (`iss`, `sub`, `aud`, `exp`, `token_use` and the like) are left as
  they were.

As on AWS, a trigger runs only if the function's resource-based policy allows
`cognito-idp.amazonaws.com` for the pool's ARN (`lambda add_permission` with SourceArn);
otherwise the call fails with `UnexpectedLambdaException` ("PreSignUp invocation failed due
to error AccessDeniedException.") and the function does not run.
"""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from typing import Any

from course.lab import alias_routing
from course.lab.iam.resource_policy import service_may_invoke

COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"
_state = SimpleNamespace(installed=False)
_flow = threading.local()
PROTECTED_CLAIMS = frozenset(
    [
        "acr",
        "amr",
        "aud",
        "auth_time",
        "azp",
        "exp",
        "iat",
        "identities",
        "iss",
        "sub",
        "token_use",
        "nonce",
        "at_hash",
        "cognito:username",
        "origin_jti",
        "event_id",
        "jti",
    ]
)
_REFRESH_FLOWS = ("REFRESH_TOKEN", "REFRESH_TOKEN_AUTH")


def _error(message: str, error_type: str = "UserLambdaValidationException") -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(error_type, message)


def _request_body() -> dict:
    """The JSON body of the API request being served (for ClientMetadata, ValidationData)."""
    try:
        import flask

        if flask.has_request_context():
            return flask.request.get_json(force=True, silent=True) or {}
    except ImportError:
        pass
    return {}


def _flat(attributes: list[dict[str, str]] | None) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in attributes or []}


def _event(pool: Any, trigger_source: str, username: str, client_id: str, request: dict) -> dict:
    body = _request_body()
    if body.get("ClientMetadata"):
        request["clientMetadata"] = dict(body["ClientMetadata"])
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": request,
        "response": {},
    }


def run_trigger(pool: Any, trigger: str, event: dict) -> dict | None:
    """Invoke the pool's `trigger` function with `event` and return its answer (None if unset).

    A handler error becomes UserLambdaValidationException, as Cognito reports it.
    """
    from moto.awslambda.models import lambda_backends

    arn = (pool.extended_config.get("LambdaConfig") or {}).get(trigger)
    if not arn:
        return None
    decision = service_may_invoke(arn, COGNITO_PRINCIPAL, pool.arn, pool.account_id)
    if not decision.allowed:
        raise _error(
            f"{trigger} invocation failed due to error AccessDeniedException.",
            "UnexpectedLambdaException",
        )
    headers: dict[str, str] = {}
    try:
        fn_backend = lambda_backends[arn.split(":")[4]][arn.split(":")[3]]
        fn = alias_routing.resolve(fn_backend, arn)
        with alias_routing.invoked_as(fn_backend, arn):
            payload = fn.invoke(
                json.dumps(event), {"X-Amz-Invocation-Type": "RequestResponse"}, headers
            )
    except Exception as exc:  # noqa: BLE001 - missing function, throttling
        raise _error(f"{trigger} invocation failed: {exc}", "UnexpectedLambdaException") from None
    answer = json.loads(payload or b"null")
    if headers.get("x-amz-function-error"):
        message = answer.get("errorMessage", "") if isinstance(answer, dict) else answer
        raise _error(f"{trigger} failed with error {message}.")
    if not isinstance(answer, dict):
        raise _error(
            f"Unrecognizable lambda output from {trigger}.", "InvalidLambdaResponseException"
        )
    return answer


def _pool_of_client(backend: Any, client_id: str) -> Any:
    return next((p for p in backend.user_pools.values() if client_id in p.clients), None)


def _post_confirmation(pool: Any, user: Any, client_id: str) -> None:
    attributes = {**_flat(user.attributes), "cognito:user_status": "CONFIRMED"}
    event = _event(
        pool,
        "PostConfirmation_ConfirmSignUp",
        user.username,
        client_id,
        {"userAttributes": attributes},
    )
    run_trigger(pool, "PostConfirmation", event)


def _token_claims(pool: Any, client_id: str, username: str, claims: dict) -> dict:
    """Claims after the PreTokenGeneration trigger (unchanged when there is none)."""
    user = pool._get_user(username)
    groups = sorted(user.groups, key=lambda g: g.group_name)
    roles = [g.role_arn for g in groups if g.role_arn]
    request = {
        "userAttributes": _flat(user.attributes),
        "groupConfiguration": {
            "groupsToOverride": [g.group_name for g in groups],
            "iamRolesToOverride": roles,
            "preferredRole": roles[0] if roles else None,
        },
    }
    source = getattr(_flow, "source", "TokenGeneration_Authentication")
    answer = run_trigger(
        pool, "PreTokenGeneration", _event(pool, source, user.username, client_id, request)
    )
    if answer is None:
        return claims
    override = (answer.get("response") or {}).get("claimsOverrideDetails") or {}
    claims = dict(claims)
    for name, value in (override.get("claimsToAddOrOverride") or {}).items():
        if name not in PROTECTED_CLAIMS:
            claims[name] = value
    for name in override.get("claimsToSuppress") or []:
        if name not in PROTECTED_CLAIMS:
            claims.pop(name, None)
    groups_override = (override.get("groupOverrideDetails") or {}).get("groupsToOverride")
    if groups_override is not None:
        claims["cognito:groups"] = list(groups_override)
    return claims


def install(lab: Any) -> None:
    """Run user pool triggers on sign-up, confirmation and sign-in (idempotent)."""
    if _state.installed:
        return
    from joserfc import jwt
    from moto.cognitoidp import models

    backend_cls, pool_cls = models.CognitoIdpBackend, models.CognitoIdpUserPool
    original_sign_up = backend_cls.sign_up
    original_confirm = backend_cls.confirm_sign_up
    original_admin_confirm = backend_cls.admin_confirm_sign_up
    original_initiate = backend_cls.initiate_auth
    original_admin_initiate = backend_cls.admin_initiate_auth
    original_id_token = pool_cls.create_id_token

    def sign_up(self: Any, client_id: str, username: str, password: str, attributes: Any) -> Any:
        pool = _pool_of_client(self, client_id)
        response: dict = {}
        if pool is not None and not pool._get_user(username):
            body = _request_body()
            request: dict[str, Any] = {"userAttributes": _flat(attributes)}
            if body.get("ValidationData") is not None:
                request["validationData"] = _flat(body["ValidationData"])
            event = _event(pool, "PreSignUp_SignUp", username, client_id, request)
            event["response"] = {
                "autoConfirmUser": False,
                "autoVerifyEmail": False,
                "autoVerifyPhone": False,
            }
            answer = run_trigger(pool, "PreSignUp", event)
            response = (answer or {}).get("response") or {}
        user, details = original_sign_up(self, client_id, username, password, attributes)
        verified = [
            {"Name": f"{attr}_verified", "Value": "true"}
            for attr, flag in (("email", "autoVerifyEmail"), ("phone_number", "autoVerifyPhone"))
            if response.get(flag) and attr in user.attribute_lookup
        ]
        if verified:
            user.update_attributes(verified)
        if response.get("autoConfirmUser"):
            user.status = models.UserStatus.CONFIRMED
            _post_confirmation(pool, user, client_id)
        return user, details

    def confirm_sign_up(self: Any, client_id: str, username: str) -> str:
        result = original_confirm(self, client_id, username)
        pool = _pool_of_client(self, client_id)
        _post_confirmation(pool, self.admin_get_user(pool.id, username), client_id)
        return result

    def admin_confirm_sign_up(self: Any, user_pool_id: str, username: str) -> str:
        result = original_admin_confirm(self, user_pool_id, username)
        pool = self.describe_user_pool(user_pool_id)
        client_id = _request_body().get("ClientId") or "CLIENT_ID_NOT_APPLICABLE"
        _post_confirmation(pool, self.admin_get_user(user_pool_id, username), client_id)
        return result

    def _with_source(flow: str, call: Any) -> Any:
        refresh = flow in _REFRESH_FLOWS
        _flow.source = f"TokenGeneration_{'RefreshTokens' if refresh else 'Authentication'}"
        try:
            return call()
        finally:
            _flow.source = None

    def initiate_auth(self: Any, client_id: str, auth_flow: str, params: dict) -> Any:
        return _with_source(
            auth_flow, lambda: original_initiate(self, client_id, auth_flow, params)
        )

    def admin_initiate_auth(
        self: Any, pool_id: str, client_id: str, auth_flow: str, params: dict
    ) -> Any:
        return _with_source(
            auth_flow, lambda: original_admin_initiate(self, pool_id, client_id, auth_flow, params)
        )

    def create_id_token(self: Any, client_id: str, username: str, origin_jti: str) -> Any:
        token, expires_in = original_id_token(self, client_id, username, origin_jti)
        if not (self.extended_config.get("LambdaConfig") or {}).get("PreTokenGeneration"):
            return token, expires_in
        claims = jwt.decode(token, self.json_web_key).claims
        new_claims = _token_claims(self, client_id, username, claims)
        new_token = jwt.encode({"kid": "dummy", "alg": "RS256"}, new_claims, self.json_web_key)
        self.id_tokens[new_token] = self.id_tokens.pop(token)
        return new_token, expires_in

    backend_cls.sign_up = sign_up
    backend_cls.confirm_sign_up = confirm_sign_up
    backend_cls.admin_confirm_sign_up = admin_confirm_sign_up
    backend_cls.initiate_auth = initiate_auth
    backend_cls.admin_initiate_auth = admin_initiate_auth
    pool_cls.create_id_token = create_id_token
    _state.installed = True

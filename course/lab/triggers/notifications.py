"""Push triggers: S3 event notifications and SNS subscriptions invoke Lambda asynchronously.

On AWS both services hand the event to Lambda's async queue and return at once; the function
then runs with retries, destinations and its dead-letter queue. moto instead runs the
function inside the S3 or SNS call and swallows its errors, sends placeholder fields and
never checks the function's resource-based policy. These narrow patches give the lab AWS's
behaviour: the event goes to `lab.events` (course.async_invocation), S3 refuses a
notification the function's policy does not allow, SNS delivers nothing to a function whose
policy does not allow the topic (the failed delivery is recorded in `lab.dropped_events`,
with the reason), and the events carry the fields AWS sends.
"""

from __future__ import annotations

import json
import secrets
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote_plus

from course.lab import alias_routing
from course.lab.iam.resource_policy import missing_permission, service_may_invoke

S3_PRINCIPAL = "s3.amazonaws.com"
SNS_PRINCIPAL = "sns.amazonaws.com"
_installed = False
_lab: Any = None  # the running lab: undeliverable events are recorded in its event queue


def install(lab: Any) -> None:
    """Patch moto's S3 notification and SNS delivery paths (once), and remember the lab."""
    global _installed, _lab
    _lab = lab
    if _installed:
        return
    from moto.s3 import models as s3_models
    from moto.s3 import notifications as s3_notifications
    from moto.sns import models as sns_models

    original_event = s3_notifications._get_s3_event
    original_set = s3_models.FakeBucket.set_notification_configuration
    original_publish = sns_models.Subscription.publish

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict:
        event = original_event(event_name, bucket, key, notification_id)
        for record in event["Records"]:
            _complete_s3_record(record, bucket, key)
        return event

    def set_notification_configuration(self: Any, config: dict[str, Any] | None) -> None:
        for entry in (config or {}).get("CloudFunctionConfiguration") or []:
            _check_s3_may_invoke(entry["CloudFunction"], self)
        original_set(self, config)

    def publish(self: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        if self.protocol != "lambda":
            return original_publish(self, message, message_id, *args, **kwargs)
        return _publish_to_lambda(self, message, message_id, *args, **kwargs)

    s3_notifications._get_s3_event = get_s3_event
    s3_notifications._invoke_awslambda = _deliver_s3
    s3_models.FakeBucket.set_notification_configuration = set_notification_configuration
    sns_models.Subscription.publish = publish
    _installed = True


# -- delivery --------------------------------------------------------------------------
def _invoke_async(account_id: str, event: dict, function_arn: str, region: str) -> None:
    """Queue `event` for the function like InvocationType=Event (replaces moto's sync call)."""
    from moto.awslambda.models import lambda_backends

    body = json.dumps(event)
    try:
        fn = alias_routing.resolve(lambda_backends[account_id][region], function_arn)
    except Exception as exc:  # noqa: BLE001 - AWS drops it too, but the lab says so
        _record_undeliverable(function_arn, body, f"The function does not exist ({exc}).")
        return
    with alias_routing.invoked_as(lambda_backends[account_id][region], function_arn):
        fn.invoke(body, {"X-Amz-Invocation-Type": "Event"}, {})


def _deliver_s3(account_id: str, event: dict, function_arn: str, region: str) -> None:
    """S3 needs the function's permission at each delivery too, as on AWS: removing the
    statement after the notification was configured stops the events (they are recorded)."""
    bucket_arn = event["Records"][0]["s3"]["bucket"]["arn"]
    decision = service_may_invoke(function_arn, S3_PRINCIPAL, bucket_arn, account_id)
    if not decision.allowed:
        reason = missing_permission(decision, bucket_arn, account_id)
        _record_undeliverable(function_arn, json.dumps(event), f"S3 could not deliver: {reason}")
        return
    _invoke_async(account_id, event, function_arn, region)


def _record_undeliverable(function_arn: str, body: str, reason: str) -> None:
    if _lab is not None and not _lab.stopped:
        _lab.events.drop(SimpleNamespace(function_name=function_arn), body, "", reason)


# -- S3 ----------------------------------------------------------------------------------
def _check_s3_may_invoke(function_arn: str, bucket: Any) -> None:
    """Refuse a Lambda notification the function's resource-based policy does not allow."""
    from moto.awslambda.models import lambda_backends
    from moto.s3.exceptions import InvalidArgumentError

    region = function_arn.split(":")[3] if function_arn.count(":") >= 5 else bucket.region_name
    try:
        lambda_backends[bucket.account_id][region].get_function(function_arn)
    except Exception:  # noqa: BLE001 - any lookup failure means S3 cannot validate it
        reason = f"The function {function_arn} does not exist."
    else:
        if service_may_invoke(function_arn, S3_PRINCIPAL, bucket.arn, bucket.account_id).allowed:
            return
        reason = (
            f"Not authorized to invoke function [{function_arn}]. Give S3 permission first: "
            f"lambda add_permission with Principal {S3_PRINCIPAL}, Action "
            f"lambda:InvokeFunction, SourceArn {bucket.arn} and SourceAccount "
            f"{bucket.account_id} (the function's resource-based policy)."
        )
    raise InvalidArgumentError(
        f"Unable to validate the following destination configurations: {reason}",
        function_arn,
        reason,
    )


def _complete_s3_record(record: dict, bucket: Any, key: Any) -> None:
    """Add what AWS sends and moto leaves out; a removal has no size or eTag."""
    from moto.s3.models import OWNER

    ip, principal = _requester(bucket.account_id)
    record["userIdentity"] = {"principalId": principal}
    record["requestParameters"] = {"sourceIPAddress": ip}
    record["responseElements"] = {
        "x-amz-request-id": secrets.token_hex(8).upper(),
        "x-amz-id-2": secrets.token_urlsafe(48),
    }
    s3 = record["s3"]
    s3["bucket"]["ownerIdentity"] = {"principalId": OWNER}
    obj = s3["object"]
    obj["key"] = quote_plus(key.name, safe="/")  # AWS keeps the slashes; moto encodes them
    if record["eventName"].startswith("ObjectRemoved"):
        obj.pop("size", None)
        obj.pop("eTag", None)
    version = getattr(key, "version_id", None)
    if getattr(bucket, "is_versioned", False) and version and version != "null":
        obj["versionId"] = version
    obj["sequencer"] = f"{time.time_ns():018X}"


def _requester(account_id: str) -> tuple[str, str]:
    """(source IP, principal id) of the S3 request being served, as well as moto knows them."""
    try:
        import flask

        if not flask.has_request_context():
            return "127.0.0.1", f"AWS:{account_id}"
        ip = flask.request.remote_addr or "127.0.0.1"
        auth = flask.request.headers.get("Authorization", "")
    except ImportError:
        return "127.0.0.1", f"AWS:{account_id}"
    access_key = auth.partition("Credential=")[2].partition("/")[0]
    return ip, f"AWS:{_principal_id(account_id, access_key)}"


def _principal_id(account_id: str, access_key: str) -> str:
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    if access_key:
        for backend in sts_backends[account_id].values():
            for role in backend.assumed_roles:
                if role.access_key_id == access_key:
                    return role.user_id
        user = iam_backends[account_id]["global"].get_user_from_access_key_id(access_key)
        if user is not None:
            return user.id
    return account_id


# -- SNS ---------------------------------------------------------------------------------
def _publish_to_lambda(
    subscription: Any,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    message_structure: str | None = None,
    **_: Any,
) -> None:
    """Deliver one SNS message to a Lambda subscription through the async queue."""
    matcher = subscription._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return
    if message_structure == "json":
        message = subscription._parse_message_structure(message, "lambda")
    post = subscription.get_post_data(message, message_id, subject, message_attributes)
    topic = subscription.topic
    region = topic.arn.split(":")[3]
    event = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic.arn,
                    "Subject": subject or None,
                    "Message": message,
                    "Timestamp": post["Timestamp"],
                    "SignatureVersion": post["SignatureVersion"],
                    "Signature": post["Signature"],
                    "SigningCertUrl": post["SigningCertURL"],
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/"
                    f"?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
                    "MessageAttributes": {
                        name: {"Type": value["Type"], "Value": value["Value"]}
                        for name, value in (message_attributes or {}).items()
                    },
                },
            }
        ]
    }
    arn = subscription.endpoint
    decision = service_may_invoke(arn, SNS_PRINCIPAL, topic.arn, topic.account_id)
    if not decision.allowed:  # AWS: the delivery fails with 403 and the message is lost
        reason = missing_permission(decision, topic.arn, topic.account_id)
        _record_undeliverable(arn, json.dumps(event), f"SNS could not deliver: {reason}")
        return
    _invoke_async(subscription.account_id, event, arn, arn.split(":")[3])
